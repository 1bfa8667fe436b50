import Scalars
import Tensors

/// Which input of a max-pooling window receives the gradient when several hold the maximum.
public enum MaxPoolTieRule: String, Sendable, Hashable, CaseIterable {
  /// The first in row-major window order (PyTorch's CPU kernel).
  case first
  /// The last in row-major window order.
  case last
  /// All of them, each receiving grad / (number of ties), rounded once.
  case split
}

/// Max pooling over `[batch, channels, h, w]`; padded positions never win (−∞).
/// Backward sends each output's gradient to its window's maximum per the tie rule; an input that wins
/// several overlapping windows receives their gradients added in output row-major order, rounded in
/// the storage format after each addition.
public struct MaxPool2d: Sendable, Hashable {
  public var kernel: Int
  public var stride: Int
  public var padding: Int
  public var ties: MaxPoolTieRule

  public init(kernel: Int, stride: Int? = nil, padding: Int = 0, ties: MaxPoolTieRule = .first) {
    precondition(kernel >= 1 && (stride ?? kernel) >= 1 && padding >= 0 && 2 * padding <= kernel, "MaxPool2d(kernel \(kernel), stride \(stride ?? kernel), padding \(padding))")
    self.kernel = kernel
    self.stride = stride ?? kernel
    self.padding = padding
    self.ties = ties
  }

  public func outputSize(_ h: Int, _ w: Int) -> (Int, Int) {
    ((h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1)
  }

  /// Whether no input lies in two windows and no window reaches the padding (stride ≥ kernel, padding 0,
  /// as VGG's 2×2 pools): the backward then writes each winner's gradient without adding.
  @inlinable var disjoint: Bool { stride >= kernel && padding == 0 }

  /// Where the maximum of the window of output (r, s) is under the `first` rule (`last == false`: the
  /// first offset holding it) or the `last` rule: a NaN wins, the last NaN if several. The window's
  /// maximum is the value at the `first` offset.
  @inlinable @inline(__always)
  func winner<T: PrecisionScalar>(_ x: UnsafePointer<T>, plane: Int, h: Int, w: Int, r: Int, s: Int, last: Bool) -> Int {
    var at = -1
    var best = T(0)
    func consider(_ offset: Int) {
      let v = x[offset]
      if at < 0 || v > best || v.isNaN || (last && v == best) { (at, best) = (offset, v) }
    }
    let (top, left) = (r * stride - padding, s * stride - padding)
    if top >= 0 && left >= 0 && top + kernel <= h && left + kernel <= w {
      // The window lies inside the plane (every window when padding is 0): no bounds to test.
      let base = (plane * h + top) * w + left
      for i in 0..<kernel {
        for j in 0..<kernel { consider(base + i * w + j) }
      }
    } else {
      forEachOffset(plane: plane, h: h, w: w, r: r, s: s, consider)
    }
    return at
  }

  /// The ties of the window of output (r, s) for the split rule: the first offset holding the maximum
  /// (`winner` with `last == false`) and how many offsets hold it; with a NaN in the window, the last NaN
  /// alone. The offsets holding the maximum are `first` and, after it, every offset equal to `x[first]`.
  @inlinable
  func splitTies<T: PrecisionScalar>(_ x: UnsafePointer<T>, plane: Int, h: Int, w: Int, r: Int, s: Int) -> (first: Int, count: Int) {
    let first = winner(x, plane: plane, h: h, w: w, r: r, s: s, last: false)
    let best = x[first]
    if best.isNaN { return (first, 1) }
    var count = 0
    forEachOffset(plane: plane, h: h, w: w, r: r, s: s) { offset in
      if offset >= first && x[offset] == best { count += 1 }
    }
    return (first, count)
  }

  /// The offsets of the window of output (r, s) inside a plane of h × w, in row-major order, padding
  /// skipped: what padded windows and the split rule's ties walk.
  @inlinable @inline(__always)
  func forEachOffset(plane: Int, h: Int, w: Int, r: Int, s: Int, _ body: (Int) -> Void) {
    for i in 0..<kernel {
      let y = r * stride + i - padding
      guard y >= 0 && y < h else { continue }
      for j in 0..<kernel {
        let xx = s * stride + j - padding
        guard xx >= 0 && xx < w else { continue }
        body((plane * h + y) * w + xx)
      }
    }
  }

  func checkedSize(_ x: [Int]) -> (n: Int, c: Int, h: Int, w: Int, oh: Int, ow: Int) {
    precondition(x.count == 4, "MaxPool2d expects [batch, channels, h, w], got \(x)")
    let (oh, ow) = outputSize(x[2], x[3])
    precondition(x[2] + 2 * padding >= kernel && x[3] + 2 * padding >= kernel && oh >= 1 && ow >= 1, "MaxPool2d: input \(x[2])x\(x[3]) smaller than the window")
    return (x[0], x[1], x[2], x[3], oh, ow)
  }

  public func forward<T: PrecisionScalar>(_ x: Tensor<T>) -> Tensor<T> {
    let (n, c, h, w, oh, ow) = checkedSize(x.shape)
    let values = [T](unsafeUninitializedCapacity: n * c * oh * ow) { out, initialized in
      x.storage.withUnsafeBufferPointer { xp in
        for plane in 0..<(n * c) {
          for r in 0..<oh {
            for s in 0..<ow { (out.baseAddress! + (plane * oh + r) * ow + s).initialize(to: xp[winner(xp.baseAddress!, plane: plane, h: h, w: w, r: r, s: s, last: false)]) }
          }
        }
      }
      initialized = n * c * oh * ow
    }
    return Tensor(shape: [n, c, oh, ow], storage: values)
  }

  public func backward<T: PrecisionScalar>(input x: Tensor<T>, gradOut: Tensor<T>) -> Tensor<T> {
    let (n, c, h, w, oh, ow) = checkedSize(x.shape)
    var grad = [T](repeating: T(0), count: x.count)
    // Which inputs hold a gradient already: needed only where windows share inputs.
    var touched = [Bool](repeating: false, count: disjoint && ties != .split ? 0 : x.count)
    x.storage.withUnsafeBufferPointer { xp in
      gradOut.storage.withUnsafeBufferPointer { gp in
        grad.withUnsafeMutableBufferPointer { grad in
          touched.withUnsafeMutableBufferPointer { touched in
            func add(_ t: Int, _ share: T) {
              grad[t] = touched[t] ? grad[t] + share : share
              touched[t] = true
            }
            if ties != .split {
              // Each output's gradient goes to one input: written there when no input lies in two
              // windows, else added to what earlier windows sent it.
              let (last, disjoint) = (ties == .last, disjoint)
              for plane in 0..<(n * c) {
                for r in 0..<oh {
                  for s in 0..<ow {
                    let t = winner(xp.baseAddress!, plane: plane, h: h, w: w, r: r, s: s, last: last)
                    let g = gp[(plane * oh + r) * ow + s]
                    if disjoint { grad[t] = g } else { add(t, g) }
                  }
                }
              }
              return
            }
            for plane in 0..<(n * c) {
              for r in 0..<oh {
                for s in 0..<ow {
                  let g = gp[(plane * oh + r) * ow + s]
                  let window = splitTies(xp.baseAddress!, plane: plane, h: h, w: w, r: r, s: s)
                  // The split rule: every tie gets grad / ties, rounded once.
                  let share = window.count == 1 ? g : g / T(window.count)
                  add(window.first, share)
                  guard window.count > 1 else { continue }
                  // The ties after the first, in window order.
                  forEachOffset(plane: plane, h: h, w: w, r: r, s: s) { offset in
                    if offset > window.first && xp[offset] == xp[window.first] { add(offset, share) }
                  }
                }
              }
            }
          }
        }
      }
    }
    return Tensor(shape: x.shape, storage: grad)
  }
}

extension MaxPool2d: ParameterFreeLayer {
  func forward<T: PrecisionScalar>(_ x: Tensor<T>, _ context: inout Network<T>.ForwardContext) -> (Tensor<T>, Network<T>.Cache) {
    (forward(x), .input(x))
  }

  func backward<T: PrecisionScalar>(
    _ cache: Network<T>.Cache, _ g: Network<T>.Lanes, _ context: inout Network<T>.BackwardContext
  ) -> Network<T>.Lanes? {
    let x = cache.input(of: "MaxPool2d")
    guard context.passDown else { return nil }
    return g.map { backward(input: x, gradOut: $0) }
  }

  func layer<T: PrecisionScalar>(as _: T.Type) -> Layer<T> { .maxPool(self) }
}
