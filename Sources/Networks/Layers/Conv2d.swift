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

  /// The shapes of this layer applied to `x`, checked: one line naming the mismatch.
  public func geometry(_ x: Tensor<T>) -> ConvolutionGeometry {
    precondition(x.rank == 4 && x.shape[1] == inChannels, "Conv2d expects [batch, \(inChannels), h, w], got \(x.shape)")
    let (h, w) = (x.shape[2], x.shape[3])
    let (oh, ow) = outputSize(h, w)
    precondition(h + 2 * padding >= kernel.0 && w + 2 * padding >= kernel.1 && oh >= 1 && ow >= 1,
                 "Conv2d: input \(h)x\(w) too small for kernel \(kernel) with padding \(padding)")
    return ConvolutionGeometry(input: x.shape, weight: weight.shape, stride: stride, padding: padding)
  }

  /// `[batch, out, oh, ow]`: each output one sum over its patch (see `ConvolutionGeometry`) plus the bias.
  public func forward(_ x: Tensor<T>, _ plan: KernelPlan) -> Tensor<T> {
    _ = geometry(x)
    return Convolution.forward(x, weight: weight, bias: bias, stride: stride, padding: padding, plan: plan)
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
    Convolution.parameterGradients(
      input: x, gradOut: gradOut, weightShape: weight.shape, withBias: bias != nil, stride: stride, padding: padding, plan: plan)
  }

  /// Each input element's gradient as one dot product over (out channel, i, j).
  public func inputGradient(inputShape shape: [Int], gradOut: Tensor<T>, _ plan: KernelPlan) -> Tensor<T> {
    Convolution.inputGradient(gradOut: gradOut, weight: weight, inputShape: shape, stride: stride, padding: padding, plan: plan)
  }
}

extension Conv2d: NetworkLayer {
  static var operation: OperationClass { .product }

  func parameterNames(prefix: String) -> [String] { bias == nil ? ["\(prefix).weight"] : ["\(prefix).weight", "\(prefix).bias"] }

  var parameters: [Tensor<T>] {
    get { [weight] + (bias.map { [$0] } ?? []) }
    set {
      precondition(newValue.count == (bias == nil ? 1 : 2) && newValue[0].shape == weight.shape && newValue.last!.shape == (bias ?? weight).shape,
                   "Conv2d: parameter shapes")
      weight = newValue[0]
      if bias != nil { bias = newValue[1] }
    }
  }

  func forward(_ x: Tensor<T>, _ context: inout Network<T>.ForwardContext) -> (Tensor<T>, Network<T>.Cache) {
    (forward(x, context.plan), .input(x))
  }

  func backward(_ cache: Network<T>.Cache, _ g: Network<T>.Lanes, _ context: inout Network<T>.BackwardContext) -> Network<T>.Lanes? {
    let x = cache.input(of: "Conv2d")
    let plan = context.plan
    guard context.wanted else { return g.map { inputGradient(inputShape: x.shape, gradOut: $0, plan) } }
    let a = backward(input: x, gradOut: g.a, needInput: context.passDown, plan)
    let b = g.b.map { backward(input: x, gradOut: $0, needInput: context.passDown, plan) }
    context.store(0, a.weight, b?.weight)
    if let bias = a.bias { context.store(1, bias, b?.bias) }
    guard context.passDown else { return nil }
    return Network<T>.Lanes(a: a.input!, b: b?.input)
  }

  /// Each output is one dot product over its input patch, classified as a dense output is.
  func zeroCauses(_ cache: Network<T>.Cache, output z: Tensor<T>) -> ZeroCauses? {
    let x = cache.input(of: "Conv2d")
    let g = geometry(x)
    let rows = Layout.swapLeadingAxes(z.storage, outer: g.batch, middle: g.outChannels, inner: g.outHeight * g.outWidth)
    return ZeroCause.classify(
      input: Tensor(shape: [g.positions, g.patchSize], storage: g.patches(x.storage)), weight: weight.reshaped([outChannels, g.patchSize]),
      bias: bias ?? Tensor(zeros: [outChannels]), output: Tensor(shape: [g.outChannels, g.positions], storage: rows).transposed())
  }

  func converted<U: PrecisionScalar>(to _: U.Type, name: String) -> Layer<U> {
    .conv(Conv2d<U>(weight: weight.converted(to: U.self), bias: bias?.converted(to: U.self), stride: stride, padding: padding), name: name)
  }
}
