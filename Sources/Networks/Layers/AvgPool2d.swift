import Scalars
import Tensors

/// Average pooling over `[batch, channels, h, w]` (no padding): each output is the window's sum in the
/// accumulation format (row-major, per the kernel's summation order) divided by kernel² there, rounded
/// once. Backward: each window's gradient divided by kernel² (rounded), added into the inputs it
/// covers in output row-major order. `kernel == nil` pools the whole plane (global average pooling).
public struct AvgPool2d: Sendable, Hashable {
  public var kernel: Int?
  public var stride: Int?

  public init(kernel: Int?, stride: Int? = nil) {
    self.kernel = kernel
    self.stride = stride ?? kernel
  }

  public static let global = AvgPool2d(kernel: nil)

  func geometry(_ h: Int, _ w: Int) -> (kh: Int, kw: Int, s: Int, oh: Int, ow: Int) {
    guard let k = kernel, let s = stride else { return (h, w, 1, 1, 1) }
    precondition(k <= h && k <= w, "AvgPool2d: input \(h)x\(w) smaller than the window \(k)")
    return (k, k, s, (h - k) / s + 1, (w - k) / s + 1)
  }

  public func forward<T: PrecisionScalar>(_ x: Tensor<T>, _ plan: KernelPlan) -> Tensor<T> {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let g = geometry(h, w)
    let size = g.kh * g.kw
    let ones = [T](repeating: T(1), count: size)
    var window = [T](repeating: T(0), count: size)  // a window's values in row-major order
    var out = [T]()
    out.reserveCapacity(n * c * g.oh * g.ow)
    x.storage.withUnsafeBufferPointer { xp in
      ones.withUnsafeBufferPointer { op in
        window.withUnsafeMutableBufferPointer { wp in
          for plane in 0..<(n * c) {
            for r in 0..<g.oh {
              for s in 0..<g.ow {
                let values: UnsafePointer<T>
                if kernel == nil {
                  values = xp.baseAddress! + plane * h * w  // the whole plane, already in order
                } else {
                  for i in 0..<g.kh { for j in 0..<g.kw { wp[i * g.kw + j] = xp[(plane * h + r * g.s + i) * w + s * g.s + j] } }
                  values = UnsafePointer(wp.baseAddress!)
                }
                out.append(DotProduct.rounded(values, 1, op.baseAddress!, 1, count: size, dividedBy: size, plan: plan))
              }
            }
          }
        }
      }
    }
    return Tensor(shape: kernel == nil ? [n, c] : [n, c, g.oh, g.ow], storage: out)
  }

  public func backward<T: PrecisionScalar>(inputShape: [Int], gradOut: Tensor<T>) -> Tensor<T> {
    let (n, c, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
    let g = geometry(h, w)
    let divisor = T(g.kh * g.kw)
    var grad = [T](repeating: T(0), count: n * c * h * w)
    var touched = [Bool](repeating: false, count: grad.count)
    gradOut.storage.withUnsafeBufferPointer { gp in
      grad.withUnsafeMutableBufferPointer { grad in
        touched.withUnsafeMutableBufferPointer { touched in
          for plane in 0..<(n * c) {
            for r in 0..<g.oh {
              for s in 0..<g.ow {
                let share = gp[(plane * g.oh + r) * g.ow + s] / divisor
                for i in 0..<g.kh {
                  for j in 0..<g.kw {
                    let t = (plane * h + r * g.s + i) * w + s * g.s + j
                    grad[t] = touched[t] ? grad[t] + share : share
                    touched[t] = true
                  }
                }
              }
            }
          }
        }
      }
    }
    return Tensor(shape: inputShape, storage: grad)
  }
}

extension AvgPool2d: ParameterFreeLayer {
  func forward<T: PrecisionScalar>(_ x: Tensor<T>, _ context: inout Network<T>.ForwardContext) -> (Tensor<T>, Network<T>.Cache) {
    (forward(x, context.plan), .shape(x.shape))
  }

  func backward<T: PrecisionScalar>(
    _ cache: Network<T>.Cache, _ g: Network<T>.Lanes, _ context: inout Network<T>.BackwardContext
  ) -> Network<T>.Lanes? {
    let shape = cache.shape(of: "AvgPool2d")
    guard context.passDown else { return nil }
    return g.map { backward(inputShape: shape, gradOut: $0) }
  }

  func layer<T: PrecisionScalar>(as _: T.Type) -> Layer<T> { .avgPool(self) }
}
