import Scalars
import Tensors

extension Network.Cache {
  /// The input the forward pass kept (`layer` names the layer in the failure a mismatch would be).
  func input(of layer: String) -> Tensor<T> {
    guard case .input(let x) = self else { preconditionFailure("\(layer): the forward pass kept no input") }
    return x
  }

  /// The input shape the forward pass kept.
  func shape(of layer: String) -> [Int] {
    guard case .shape(let shape) = self else { preconditionFailure("\(layer): the forward pass kept no shape") }
    return shape
  }
}

extension Network {
  /// What every layer's forward step reads and writes: the kernel plan, the pass, the number of the next
  /// random stream (activations and dropout layers in forward order) and the kinks counted so far.
  struct ForwardContext {
    /// The plan the layer at hand computes with (its policy's rule applied; `policy` is nil in it).
    var plan: KernelPlan
    let pass: Pass
    var stream = 0
    var kinks: [Int] = []
    /// Where the layer at hand is, and the format of its input, under a precision policy.
    var precision: PolicyPosition

    init(plan: KernelPlan, pass: Pass) {
      self.plan = plan
      self.pass = pass
      precision = PolicyPosition(plan)
    }
  }

  /// The gradient flowing down, for this network's activations (`a`) and for the alternative (`b`, nil
  /// while it is the same as `a`).
  struct Lanes: Sendable {
    var a: Tensor<T>
    var b: Tensor<T>?

    /// The same operation on each lane (once while they are the same).
    func map(_ f: (Tensor<T>) -> Tensor<T>) -> Lanes { Lanes(a: f(a), b: b.map(f)) }
  }

  /// What every layer's backward step reads and writes: the plan, the pass, the alternative activation,
  /// which parameter gradients to form, the random stream counter (counting down), the gradients
  /// collected by parameter index; and, set by the network for the layer at hand, the index of its first
  /// parameter, whether a layer below needs its input gradient (`passDown`) and whether its own parameter
  /// gradients are wanted.
  struct BackwardContext {
    /// The plan the layer at hand computes with (as in `ForwardContext`).
    var plan: KernelPlan
    /// Where the layer at hand is, and the format of its input, under a precision policy.
    var precision: PolicyPosition
    let pass: Pass
    let alternative: Activation?
    let selection: GradientSelection
    var stream: Int
    var gradients: [Tensor<T>?]
    var alternativeGradients: [Tensor<T>?]
    var offset = 0
    var passDown = true
    var wanted = true

    /// Stores the gradient of the layer's parameter `index` for both lanes (`other` nil: the same).
    mutating func store(_ index: Int, _ gradient: Tensor<T>, _ other: Tensor<T>?) {
      gradients[offset + index] = gradient
      alternativeGradients[offset + index] = other ?? gradient
    }
  }
}
