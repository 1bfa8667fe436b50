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

