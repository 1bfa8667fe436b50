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

  /// Pre-activations `[batch, out]`: each `round(Σ_i x[b,i]·W[o,i] + b[o])`, accumulated in `Acc`.
  public func forward<Acc: PrecisionScalar>(_ x: Tensor<T>, _ plan: KernelPlan<Acc>) -> Tensor<T> {
    MatrixMultiply.timesTransposed(x, weight, bias: bias, accumulate: Acc.self, options: plan.options, threads: plan.threads)
  }

  /// Gradients of the weight and bias, and of the input when `needInput`, from grad_out `[batch, out]`.
  public func backward<Acc: PrecisionScalar>(
    input x: Tensor<T>, gradOut: Tensor<T>, needInput: Bool, _ plan: KernelPlan<Acc>
  ) -> (weight: Tensor<T>, bias: Tensor<T>, input: Tensor<T>?) {
    let gradOutT = gradOut.transposed()  // [out, batch]
    let dW = MatrixMultiply.timesTransposed(gradOutT, x.transposed(), accumulate: Acc.self, options: plan.options, threads: plan.threads)
    let db = MatrixMultiply.columnSums(gradOut, accumulate: Acc.self, options: plan.options)
    let dX = needInput
      ? MatrixMultiply.timesTransposed(gradOut, weight.transposed(), accumulate: Acc.self, options: plan.options, threads: plan.threads)
      : nil
    return (dW, db, dX)
  }

  /// The input's gradient alone (what backprop through this layer passes down), as `backward` computes it.
  public func inputGradient<Acc: PrecisionScalar>(gradOut: Tensor<T>, _ plan: KernelPlan<Acc>) -> Tensor<T> {
    MatrixMultiply.timesTransposed(gradOut, weight.transposed(), accumulate: Acc.self, options: plan.options, threads: plan.threads)
  }
}

/// How a network's kernels compute: the accumulation format, the summation order and fusion, and the
/// number of threads (which never changes a result).
public struct KernelPlan<Acc: PrecisionScalar>: Sendable {
  public var options: KernelOptions
  public var threads: Int

  public init(accumulate _: Acc.Type, options: KernelOptions = KernelOptions(), threads: Int = 1) {
    self.options = options
    self.threads = threads
  }

  public var accumulationFormat: FloatFormat { Acc.format }
}
