import Scalars
import Tensors

/// 2-D convolution (cross-correlation, as PyTorch computes it) on `[batch, channels, height, width]`
/// with weight `[out, in, kh, kw]`, optional bias `[out]`, stride and zero padding.
///
/// Every output is one dot product in the kernel's accumulation format, over (c, i, j) in row-major
/// order of the weight, padded positions contributing exact zeros, with the bias added after the
/// products, rounded once into the storage format (im2col, then `MatrixMultiply`). Backward: the
/// weight gradient sums over (batch, output row, output column) in that order; each input gradient is
/// one dot product over (out channel, i, j) of the weights that touched it; the bias gradient sums
/// over (batch, row, column).
public struct Conv2d<T: PrecisionScalar>: Sendable {
  public var weight: Tensor<T>
  public var bias: Tensor<T>?
  public var stride: Int
  public var padding: Int

  public init(weight: Tensor<T>, bias: Tensor<T>?, stride: Int = 1, padding: Int = 0) {
    precondition(weight.rank == 4, "Conv2d weight must be [out, in, kh, kw], got \(weight.shape)")
    if let bias { precondition(bias.shape == [weight.shape[0]], "Conv2d bias \(bias.shape) for \(weight.shape[0]) outputs") }
    precondition(stride >= 1 && padding >= 0, "Conv2d stride \(stride), padding \(padding)")
    self.weight = weight
    self.bias = bias
    self.stride = stride
    self.padding = padding
  }

  public var outChannels: Int { weight.shape[0] }
  public var inChannels: Int { weight.shape[1] }
  public var kernel: (Int, Int) { (weight.shape[2], weight.shape[3]) }

  public func outputSize(_ h: Int, _ w: Int) -> (Int, Int) {
    ((h + 2 * padding - kernel.0) / stride + 1, (w + 2 * padding - kernel.1) / stride + 1)
  }

  /// `[batch·oh·ow, c·kh·kw]` patches, zeros where the window covers padding.
  func patches(_ x: Tensor<T>) -> Tensor<T> {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (kh, kw) = kernel
    let (oh, ow) = outputSize(h, w)
    let zero = T(0)
    var out = [T]()
    out.reserveCapacity(n * oh * ow * c * kh * kw)
    for b in 0..<n {
      for r in 0..<oh {
        for s in 0..<ow {
          for ch in 0..<c {
            for i in 0..<kh {
              let y = r * stride + i - padding
              for j in 0..<kw {
                let xx = s * stride + j - padding
                out.append(y >= 0 && y < h && xx >= 0 && xx < w ? x.storage[((b * c + ch) * h + y) * w + xx] : zero)
              }
            }
          }
        }
      }
    }
    return Tensor(shape: [n * oh * ow, c * kh * kw], storage: out)
  }

  public func forward(_ x: Tensor<T>, _ plan: KernelPlan) -> Tensor<T> {
    precondition(x.rank == 4 && x.shape[1] == inChannels, "Conv2d expects [batch, \(inChannels), h, w], got \(x.shape)")
    let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
    let (oh, ow) = outputSize(h, w)
    precondition(oh >= 1 && ow >= 1, "Conv2d: input \(h)x\(w) too small for kernel \(kernel) with padding \(padding)")
    let flatWeight = weight.reshaped([outChannels, weight.count / outChannels])
    let rows = MatrixMultiply.timesTransposed(patches(x), flatWeight, bias: bias, plan: plan)
    return Self.channelsFirst(rows, n: n, c: outChannels, h: oh, w: ow)
  }

  /// `[n·h·w, c]` → `[n, c, h, w]`.
  static func channelsFirst(_ rows: Tensor<T>, n: Int, c: Int, h: Int, w: Int) -> Tensor<T> {
    var out = [T](repeating: T(0), count: n * c * h * w)
    for b in 0..<n { for p in 0..<(h * w) { for ch in 0..<c { out[(b * c + ch) * h * w + p] = rows.storage[(b * h * w + p) * c + ch] } } }
    return Tensor(shape: [n, c, h, w], storage: out)
  }

  /// `[n, c, h, w]` → `[n·h·w, c]`.
  static func channelsLast(_ x: Tensor<T>) -> Tensor<T> {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    var out = [T](repeating: T(0), count: x.count)
    for b in 0..<n { for p in 0..<(h * w) { for ch in 0..<c { out[(b * h * w + p) * c + ch] = x.storage[(b * c + ch) * h * w + p] } } }
    return Tensor(shape: [n * h * w, c], storage: out)
  }

  public func backward(
    input x: Tensor<T>, gradOut: Tensor<T>, needInput: Bool, _ plan: KernelPlan
  ) -> (weight: Tensor<T>, bias: Tensor<T>?, input: Tensor<T>?) {
    let (dW, dB) = parameterGradients(input: x, gradOut: gradOut, plan)
    return (dW, dB, needInput ? inputGradient(inputShape: x.shape, gradOut: gradOut, plan) : nil)
  }

  /// The weight gradient (one sum over (batch, output row, output column) per element) and the bias
  /// gradient (the same sum of grad_out).
  public func parameterGradients(input x: Tensor<T>, gradOut: Tensor<T>, _ plan: KernelPlan) -> (weight: Tensor<T>, bias: Tensor<T>?) {
    let dRows = Self.channelsLast(gradOut)  // [n·oh·ow, out]
    let dW = MatrixMultiply.timesTransposed(dRows.transposed(), patches(x).transposed(), plan: plan).reshaped(weight.shape)
    return (dW, bias == nil ? nil : MatrixMultiply.columnSums(dRows, plan: plan))
  }

  /// Each input element's gradient as one dot product over (out channel, i, j).
  public func inputGradient(inputShape shape: [Int], gradOut: Tensor<T>, _ plan: KernelPlan) -> Tensor<T> {
    let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
    let (kh, kw) = kernel
    let (oh, ow) = (gradOut.shape[2], gradOut.shape[3])
    let o = outChannels
    var out = [T](repeating: T(0), count: n * c * h * w)
    out.withUnsafeMutableBufferPointer { outPointer in
      nonisolated(unsafe) let outPointer = outPointer
      forEachRow(n * c, threads: plan.threads) { row in
        let (b, ch) = (row / c, row % c)
        var gs = [T](), ws = [T]()
        gs.reserveCapacity(o * kh * kw)
        ws.reserveCapacity(o * kh * kw)
        for y in 0..<h {
          for xx in 0..<w {
            gs.removeAll(keepingCapacity: true)
            ws.removeAll(keepingCapacity: true)
            for oc in 0..<o {
              for i in 0..<kh {
                let r = y + padding - i
                guard r >= 0, r % stride == 0, r / stride < oh else { continue }
                for j in 0..<kw {
                  let s = xx + padding - j
                  guard s >= 0, s % stride == 0, s / stride < ow else { continue }
                  gs.append(gradOut.storage[((b * o + oc) * oh + r / stride) * ow + s / stride])
                  ws.append(weight.storage[((oc * c + ch) * kh + i) * kw + j])
                }
              }
            }
            outPointer[((b * c + ch) * h + y) * w + xx] = gs.isEmpty ? T(0) : gs.withUnsafeBufferPointer { gp in
              ws.withUnsafeBufferPointer { wp in DotProduct.rounded(gp.baseAddress!, 1, wp.baseAddress!, 1, count: gp.count, plan: plan) }
            }
          }
        }
      }
    }
    return Tensor(shape: shape, storage: out)
  }
}
