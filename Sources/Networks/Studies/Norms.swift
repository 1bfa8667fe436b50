import Scalars
import Tensors

/// Sums of magnitudes of a list of tensors, in binary64.
public struct Norms: Sendable, Hashable {
  public var l1 = 0.0
  public var l2 = 0.0

  public init(l1: Double = 0, l2: Double = 0) {
    self.l1 = l1
    self.l2 = l2
  }

  /// Both norms divided by `scale` in binary64 (a loss scale taken out; unchanged for 1).
  public func divided(by scale: Double) -> Norms {
    scale == 1 ? self : Norms(l1: l1 / scale, l2: l2 / scale)
  }

  /// ‖a‖₁ and ‖a‖₂ of the elements (each converted to binary64; sums in binary64, in order).
  public static func of<T: PrecisionScalar>(_ tensors: [Tensor<T>]) -> Norms {
    var l1 = 0.0, squares = 0.0
    for t in tensors {
      for v in t.storage {
        let d = v.doubleValue
        l1 += Swift.abs(d)
        squares += d * d
      }
    }
    return Norms(l1: l1, l2: squares.squareRoot())
  }

  /// ‖a − b‖₁ and ‖a − b‖₂, each difference computed in binary64.
  public static func ofDifference<T: PrecisionScalar>(_ a: [Tensor<T>], _ b: [Tensor<T>]) -> Norms {
    var l1 = 0.0, squares = 0.0
    for (x, y) in zip(a, b) {
      for (u, v) in zip(x.storage, y.storage) {
        let d = u.doubleValue - v.doubleValue
        l1 += Swift.abs(d)
        squares += d * d
      }
    }
    return Norms(l1: l1, l2: squares.squareRoot())
  }
}
