import Scalars
import Testing

@testable import Tensors

/// The data rearrangements behind the convolution products, against nested arrays indexed by hand.
@Suite struct LayoutTests {
  static let shapes: [(outer: Int, middle: Int, inner: Int)] = [(1, 1, 1), (2, 3, 4), (3, 1, 5), (1, 4, 1), (5, 2, 3)]

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
