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

  /// For each output, the input offsets holding the window's maximum (row-major window order).
  func winners<T: PrecisionScalar>(_ x: Tensor<T>) -> (shape: [Int], values: [T], winners: [[Int]]) {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = outputSize(h, w)
    precondition(oh >= 1 && ow >= 1, "MaxPool2d: input \(h)x\(w) smaller than the window")
    var values = [T](), all = [[Int]]()
    values.reserveCapacity(n * c * oh * ow)
    all.reserveCapacity(n * c * oh * ow)
    for plane in 0..<(n * c) {
      for r in 0..<oh {
        for s in 0..<ow {
          var best: T? = nil
          var at: [Int] = []
          for i in 0..<kernel {
            let y = r * stride + i - padding
            guard y >= 0 && y < h else { continue }
            for j in 0..<kernel {
              let xx = s * stride + j - padding
              guard xx >= 0 && xx < w else { continue }
              let offset = (plane * h + y) * w + xx
              let v = x.storage[offset]
              if best == nil || v > best! || v.isNaN {
                best = v
                at = [offset]
              } else if v == best! {
                at.append(offset)
              }
            }
          }
          values.append(best!)
          all.append(at)
        }
      }
    }
    return ([n, c, oh, ow], values, all)
  }

  public func forward<T: PrecisionScalar>(_ x: Tensor<T>) -> Tensor<T> {
    let (shape, values, _) = winners(x)
    return Tensor(shape: shape, storage: values)
  }

  public func backward<T: PrecisionScalar>(input x: Tensor<T>, gradOut: Tensor<T>) -> Tensor<T> {
    let (_, _, all) = winners(x)
    var grad = [T](repeating: T(0), count: x.count)
    var touched = [Bool](repeating: false, count: x.count)
    for (k, at) in all.enumerated() {
      let g = gradOut.storage[k]
      let targets: [Int]
      let share: T
      switch ties {
      case .first: targets = [at.first!]; share = g
      case .last: targets = [at.last!]; share = g
      case .split: targets = at; share = at.count == 1 ? g : g / T(at.count)
      }
      for t in targets {
        grad[t] = touched[t] ? grad[t] + share : share
        touched[t] = true
      }
    }
    return Tensor(shape: x.shape, storage: grad)
  }
}
