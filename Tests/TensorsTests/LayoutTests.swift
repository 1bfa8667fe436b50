import Scalars
import Testing

@testable import Tensors

/// The data rearrangements behind the convolution products, against nested arrays indexed by hand.
@Suite struct LayoutTests {
  static let shapes: [(outer: Int, middle: Int, inner: Int)] = [(1, 1, 1), (2, 3, 4), (3, 1, 5), (1, 4, 1), (5, 2, 3)]

  /// `Tensor.transposed` (tiled) against the definition, on shapes that end inside and on tile edges
  /// and on an empty one, for a hardware type and MPFR values (a reference-holding type).
  @Test func transposeMovesEveryElement() {
    for (r, c) in [(1, 1), (3, 5), (32, 32), (33, 70), (70, 33), (0, 4), (64, 1)] {
      let x = Tensor<Float>(shape: [r, c], storage: (0..<(r * c)).map { Float($0) })
      let t = x.transposed()
      #expect(t.shape == [c, r])
      var moved = true
      for i in 0..<r { for j in 0..<c where t.storage[j * r + i] != x.storage[i * c + j] { moved = false } }
      #expect(moved, "\(r)x\(c)")
    }
    MPFRFloat.withFormat(.binary128) {
      let x = Tensor<MPFRFloat>(shape: [35, 3], doubles: (0..<105).map { Double($0) + 0.5 })
      let t = x.transposed()
      var moved = t.shape == [3, 35]
      for i in 0..<35 { for j in 0..<3 where t.storage[j * 35 + i] != x.storage[i * 3 + j] { moved = false } }
      #expect(moved)
    }
  }

  @Test(arguments: shapes.indices)
  func swapLeadingAxesMovesEveryRunWhole(_ i: Int) {
    let (outer, middle, inner) = Self.shapes[i]
    // x[a][b][k] = a·100 + b·10 + k, flattened row-major; the expectation indexed the other way round.
    func value(_ a: Int, _ b: Int, _ k: Int) -> Int { a * 100 + b * 10 + k }
    var flat: [Int] = [], expected: [Int] = []
    for a in 0..<outer { for b in 0..<middle { for k in 0..<inner { flat.append(value(a, b, k)) } } }
    for b in 0..<middle { for a in 0..<outer { for k in 0..<inner { expected.append(value(a, b, k)) } } }
    let swapped: [Int] = Layout.swapLeadingAxes(flat, outer: outer, middle: middle, inner: inner)
    #expect(swapped == expected)
    // Swapping back restores the original.
    let back: [Int] = Layout.swapLeadingAxes(swapped, outer: middle, middle: outer, inner: inner)
    #expect(back == flat)
  }

  @Test(arguments: shapes.indices)
  func channelMajorToFirstUndoesTheSwap(_ i: Int) {
    let (batch, channels, plane) = Self.shapes[i]
    let x = (0..<(batch * channels * plane)).map { Float($0) }
    let major = Layout.swapLeadingAxes(x, outer: batch, middle: channels, inner: plane)
    let same: [Float] = Layout.channelMajorToFirst(major, batch: batch, channels: channels, plane: plane, threads: 1)
    let widened: [Float] = Layout.channelMajorToFirst(major.map(Double.init), batch: batch, channels: channels, plane: plane, threads: 2)
    #expect(same == x)
    #expect(widened == x)  // small integers: exact in both formats
  }
}
