import Networks
import Scalars
import Tensors
import Testing

/// Gradients compare as `torch.equal` does, and a NaN or an infinity is always a difference.
@Suite struct GradientEqualityTests {
  static func g(_ values: [Double]) -> [Tensor<Double>] { [Tensor(shape: [values.count], storage: values)] }

  @Test func numericEqualityWithSignedZeros() {
    #expect(gradientsEqual(Self.g([0, 1, -2]), Self.g([-0.0, 1, -2])))
    #expect(!gradientsEqual(Self.g([0, 1, -2]), Self.g([0, 1, -2.0000000000000004])))
  }

  @Test(arguments: [Double.nan, .infinity, -.infinity])
  func nonFiniteValuesAreADifference(_ bad: Double) {
    // Even the same non-finite value in both copies: such a gradient says nothing about agreement.
    #expect(!gradientsEqual(Self.g([1, bad]), Self.g([1, bad])))
    #expect(!gradientsEqual(Self.g([1, bad]), Self.g([1, 2])))
    #expect(!gradientsEqual(Self.g([1, 2]), Self.g([1, bad])))
    #expect(gradientsContainNonFinite(Self.g([1, bad])) && !gradientsContainNonFinite(Self.g([1, 2])))
  }
}
