import Foundation
import Scalars
import Tensors

/// GELU (PyTorch's `nn.GELU()`, exact form): y = x·Φ(x), Φ the standard normal distribution function.
/// Smooth everywhere: no kink, so no derivative to choose; a network with it is the studies' control
/// (the two backward passes of a kink study are the same network, so only `grad` and training take it).
///
/// Arithmetic: each output and each derivative is evaluated in binary64 from the stored input
/// (Φ(x) = erfc(−x/√2)/2, accurate for negative x where 1 + erf(x/√2) would cancel) and rounded once into
/// the storage format; the input gradient is that derivative times the upstream gradient, one rounded
/// product. Infinite inputs follow the formulas as PyTorch does: GELU(−∞) = −∞·0 = NaN, and the
/// derivative at ±∞ is NaN (∞·φ(∞) = ∞·0). For formats of at most 24 significand bits the rounded value is the correctly rounded one
/// except where binary64's own error of a few units in its last place crosses a rounding boundary; for
/// formats wider than binary64 it is only as accurate as binary64. PyTorch computes in the storage
/// format with its own erf, so its results can differ in the last bit (Tests/NetworksTests/GELUTests).
public struct GELU: ParameterFreeLayer, Sendable, Hashable {
  public init() {}

  /// 1/√2 as the sum of two binary64 numbers.
  static let invSqrt2 = (high: 0.7071067811865476, low: -4.833646656726457e-17)

  /// Φ(x) = erfc(−x/√2)/2 in binary64. erfc's conditioning (about 2z² at z) would amplify the rounding of
  /// −x/√2 in the negative tail, so that rounding error is carried and corrected to first order:
  /// erfc(z + e) ≈ erfc(z) − e·(2/√π)·exp(−z²).
  static func distribution(_ x: Double) -> Double {
    let z = -x * invSqrt2.high
    let error = (-z).addingProduct(-x, invSqrt2.high) + -x * invSqrt2.low  // −x/√2 − z, exact to first order
    guard error.isFinite else { return 0.5 * erfc(z) }
    return 0.5 * (erfc(z) - error * 2 / Double.pi.squareRoot() * exp(-z * z))
  }

  /// φ(x) = exp(−x²/2)/√(2π) in binary64, with x² carried as the sum of two numbers (exp's conditioning
  /// would amplify the rounding of x² by x²/2).
  static func density(_ x: Double) -> Double {
    let square = x * x
    let low = (-square).addingProduct(x, x)  // x² − square, exactly
    return exp(-0.5 * square) * (1 - 0.5 * (low.isFinite ? low : 0)) / (2 * Double.pi).squareRoot()
  }

  /// dGELU/dx = Φ(x) + x·φ(x).
  static func derivative(_ x: Double) -> Double { distribution(x) + x * density(x) }

  /// The outputs, each rounded once from binary64.
  public func forward<T: PrecisionScalar>(_ x: Tensor<T>) -> Tensor<T> {
    Tensor(shape: x.shape, storage: x.storage.map { v in
      let d = v.doubleValue
      return T(d * Self.distribution(d))
    })
  }

  /// grad_in = round(GELU'(x)) × grad_out, one rounded product per element.
  public func backward<T: PrecisionScalar>(_ x: Tensor<T>, _ gradOut: Tensor<T>) -> Tensor<T> {
    precondition(x.shape == gradOut.shape, "GELU backward: shapes \(x.shape) and \(gradOut.shape)")
    return Tensor(shape: x.shape, storage: zip(x.storage, gradOut.storage).map { v, g in T(Self.derivative(v.doubleValue)) * g })
  }

  func forward<T: PrecisionScalar>(_ x: Tensor<T>, _ context: inout Network<T>.ForwardContext) -> (Tensor<T>, Network<T>.Cache) {
    (forward(x), .input(x))
  }

  func backward<T: PrecisionScalar>(
    _ cache: Network<T>.Cache, _ g: Network<T>.Lanes, _ context: inout Network<T>.BackwardContext
  ) -> Network<T>.Lanes? {
    let x = cache.input(of: "GELU")
    guard context.passDown else { return nil }
    return g.map { backward(x, $0) }
  }

  func layer<T: PrecisionScalar>(as _: T.Type) -> Layer<T> { .gelu(self) }
}
