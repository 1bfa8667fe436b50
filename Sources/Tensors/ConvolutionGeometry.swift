import CKernels
import Scalars

/// The shapes of a 2-D convolution (cross-correlation, as PyTorch): input `[batch, channels, height,
/// width]`, weight `[outChannels, channels, kernelHeight, kernelWidth]`, stride and zero padding, output
/// `[batch, outChannels, outHeight, outWidth]`; and where each term of its three products comes from.
///
/// The three products, each one sum per output in its documented order:
/// - forward: output (b, o, oy, ox) sums over the patch steps (c, i, j) in row-major order the terms
///   `x[b, c, oy·s + i − pad, ox·s + j − pad] · w[o, c, i, j]`, a term in the padding an exact zero
///   (`patchOffset`), then adds the bias;
/// - weight gradient: w's element (o, c, i, j) sums over the output positions (b, oy, ox) in order
///   `gradOut[b, o, oy, ox] · x[…]` (the same patch values); the bias gradient sums `gradOut[b, o, …]`
///   in the same order;
/// - input gradient: x's element (b, c, y, x) sums over (o, i, j) in row-major order
///   `gradOut[b, o, (y + pad − i)/s, (x + pad − j)/s] · w[o, c, i, j]`, a term whose output position is
///   not a whole one inside the output an exact zero (`gradientOffset`).
public struct ConvolutionGeometry: Sendable, Hashable {
  public let batch: Int, channels: Int, height: Int, width: Int
  public let outChannels: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int
  public let outHeight: Int, outWidth: Int

  /// - Precondition: the window fits the padded input (checked by `Conv2d` with a message).
  @inlinable
  public init(input: [Int], weight: [Int], stride: Int, padding: Int) {
    (batch, channels, height, width) = (input[0], input[1], input[2], input[3])
    (outChannels, kernelHeight, kernelWidth) = (weight[0], weight[2], weight[3])
    (self.stride, self.padding) = (stride, padding)
    outHeight = (height + 2 * padding - kernelHeight) / stride + 1
    outWidth = (width + 2 * padding - kernelWidth) / stride + 1
  }

  /// Output positions (b, oy, ox): the forward product's outputs per channel.
  @inlinable public var positions: Int { batch * outHeight * outWidth }
  /// Input positions (b, y, x).
  @inlinable public var inputPositions: Int { batch * height * width }
  /// Steps (c, i, j) of a forward patch.
  @inlinable public var patchSize: Int { channels * kernelHeight * kernelWidth }
  /// Steps (o, i, j) of an input-gradient sum.
  @inlinable public var gradientSize: Int { outChannels * kernelHeight * kernelWidth }
  @inlinable public var outputShape: [Int] { [batch, outChannels, outHeight, outWidth] }

  @inlinable var c: pl_conv {
    pl_conv(
      batch: batch, channels: channels, height: height, width: width, out_channels: outChannels, kernel_h: kernelHeight,
      kernel_w: kernelWidth, stride: stride, padding: padding, out_h: outHeight, out_w: outWidth)
  }

  /// Offset in the input of the term (output position, patch step), or nil in the padding.
  @inlinable
  public func patchOffset(position: Int, step: Int) -> Int? {
    let plane = outHeight * outWidth, window = kernelHeight * kernelWidth
    let (b, r) = position.quotientAndRemainder(dividingBy: plane)
    let (channel, w) = step.quotientAndRemainder(dividingBy: window)
    let y = (r / outWidth) * stride + w / kernelWidth - padding, x = (r % outWidth) * stride + w % kernelWidth - padding
    guard y >= 0 && y < height && x >= 0 && x < width else { return nil }
    return ((b * channels + channel) * height + y) * width + x
  }

  /// Offset in the output gradient of the term (input position, gradient step (o, i, j)), or nil where
  /// weight (i, j) of no output window falls on this input.
  @inlinable
  public func gradientOffset(inputPosition: Int, step: Int) -> Int? {
    let plane = height * width, window = kernelHeight * kernelWidth
    let (b, r) = inputPosition.quotientAndRemainder(dividingBy: plane)
    let (o, w) = step.quotientAndRemainder(dividingBy: window)
    let ry = r / width + padding - w / kernelWidth, rx = r % width + padding - w % kernelWidth
    guard ry >= 0 && rx >= 0 && ry % stride == 0 && rx % stride == 0 && ry / stride < outHeight && rx / stride < outWidth else { return nil }
    return ((b * outChannels + o) * outHeight + ry / stride) * outWidth + rx / stride
  }

  /// The forward patches `[positions, patchSize]` (row-major), zeros in the padding.
  @inlinable
  public func patches<S: PrecisionScalar>(_ x: [S]) -> [S] {
    let zero = S(0)
    var out = [S]()
    out.reserveCapacity(positions * patchSize)
    for p in 0..<positions { for k in 0..<patchSize { out.append(patchOffset(position: p, step: k).map { x[$0] } ?? zero) } }
    return out
  }

  /// The same values transposed: `[patchSize, positions]`.
  @inlinable
  public func patchesTransposed<S: PrecisionScalar>(_ x: [S]) -> [S] {
    let zero = S(0)
    var out = [S]()
    out.reserveCapacity(positions * patchSize)
    for k in 0..<patchSize { for p in 0..<positions { out.append(patchOffset(position: p, step: k).map { x[$0] } ?? zero) } }
    return out
  }

  /// The input gradient's operand `[inputPositions, gradientSize]`: the output gradient's terms, zero
  /// where there is none.
  @inlinable
  public func gradientPatches<S: PrecisionScalar>(_ gradOut: [S]) -> [S] {
    let zero = S(0)
    var out = [S]()
    out.reserveCapacity(inputPositions * gradientSize)
    for p in 0..<inputPositions {
      for k in 0..<gradientSize { out.append(gradientOffset(inputPosition: p, step: k).map { gradOut[$0] } ?? zero) }
    }
    return out
  }
}
