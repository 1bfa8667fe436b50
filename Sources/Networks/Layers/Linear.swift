import Scalars
import Tensors

/// A dense layer y = x Wᵀ + b with PyTorch's layout: weight `[out, in]`, bias `[out]`.
public struct Linear<T: PrecisionScalar>: Sendable {
  public var weight: Tensor<T>
  public var bias: Tensor<T>

  public init(weight: Tensor<T>, bias: Tensor<T>) {
    precondition(weight.rank == 2 && bias.shape == [weight.shape[0]], "Linear: weight \(weight.shape), bias \(bias.shape)")
    self.weight = weight
    self.bias = bias
  }

  public var inputs: Int { weight.shape[1] }
  public var outputs: Int { weight.shape[0] }

  /// Pre-activations `[batch, out]`: each `round(Σ_i x[b,i]·W[o,i] + b[o])`, accumulated as `plan` says.
  public func forward(_ x: Tensor<T>, _ plan: KernelPlan) -> Tensor<T> {
    plan.product(.forward, m: x.shape[0], n: outputs, k: inputs) { MatrixMultiply.timesTransposed(x, weight, bias: bias, plan: $0) }
  }

  /// Gradients of the weight and bias, and of the input when `needInput`, from grad_out `[batch, out]`.
  public func backward(
    input x: Tensor<T>, gradOut: Tensor<T>, needInput: Bool, _ plan: KernelPlan
  ) -> (weight: Tensor<T>, bias: Tensor<T>, input: Tensor<T>?) {
    let (dW, db) = parameterGradients(input: x, gradOut: gradOut, plan)
    return (dW, db, needInput ? inputGradient(gradOut: gradOut, plan) : nil)
  }

  /// The weight and bias gradients: dW = dYᵀ X (one sum over the batch per element), db = Σ_b dY.
  public func parameterGradients(input x: Tensor<T>, gradOut: Tensor<T>, _ plan: KernelPlan) -> (weight: Tensor<T>, bias: Tensor<T>) {
    let dW = plan.product(.weight, m: outputs, n: inputs, k: x.shape[0]) {
      MatrixMultiply.times(gradOut.transposed(), x, plan: $0)  // [out, batch]·[batch, in]
    }
    return (dW, MatrixMultiply.columnSums(gradOut, plan: plan))
  }

  /// The input's gradient alone (what backprop through this layer passes down): dX = dY W.
  public func inputGradient(gradOut: Tensor<T>, _ plan: KernelPlan) -> Tensor<T> {
    plan.product(.input, m: gradOut.shape[0], n: inputs, k: outputs) { MatrixMultiply.times(gradOut, weight, plan: $0) }
  }
}


extension Linear: NetworkLayer {
  static var operation: OperationClass { .product }

  func parameterNames(prefix: String) -> [String] { ["\(prefix).weight", "\(prefix).bias"] }

  var parameters: [Tensor<T>] {
    get { [weight, bias] }
    set {
      precondition(newValue.count == 2 && newValue[0].shape == weight.shape && newValue[1].shape == bias.shape, "Linear: parameter shapes")
      (weight, bias) = (newValue[0], newValue[1])
    }
  }

  func forward(_ x: Tensor<T>, _ context: inout Network<T>.ForwardContext) -> (Tensor<T>, Network<T>.Cache) {
    (forward(x, context.plan), .input(x))
  }

  func backward(_ cache: Network<T>.Cache, _ g: Network<T>.Lanes, _ context: inout Network<T>.BackwardContext) -> Network<T>.Lanes? {
    let x = cache.input(of: "Linear")
    let plan = context.plan
    guard context.wanted else { return g.map { inputGradient(gradOut: $0, plan) } }
    let a = backward(input: x, gradOut: g.a, needInput: context.passDown, plan)
    let b = g.b.map { backward(input: x, gradOut: $0, needInput: context.passDown, plan) }
    context.store(0, a.weight, b?.weight)
    context.store(1, a.bias, b?.bias)
    guard context.passDown else { return nil }
    return Network<T>.Lanes(a: a.input!, b: b?.input)
  }

  func zeroCauses(_ cache: Network<T>.Cache, output z: Tensor<T>) -> ZeroCauses? {
    let x = cache.input(of: "Linear")
    return ZeroCause.classify(input: x, weight: weight, bias: bias, output: z)
  }

  func converted<U: PrecisionScalar>(to _: U.Type, name: String) -> Layer<U> {
    .linear(Linear<U>(weight: weight.converted(to: U.self), bias: bias.converted(to: U.self)), name: name)
  }
}
