import Scalars
import Tensors

/// Where a pass is under a precision policy (`PrecisionPolicy`): the policy, the run's plan without it,
/// the format of the values entering the layer at hand (nil: the storage format), how deep in nested
/// layer lists the pass is (1: the network's own layers) and which of the network's own layers the
/// policy computes in binary32 (`endsInFloat32`).
struct PolicyPosition {
  let policy: PrecisionPolicy?
  let base: KernelPlan
  var format: FloatFormat?
  var nesting = 0
  var ends: Set<Int> = []

  init(_ plan: KernelPlan) {
    policy = plan.policy
    var base = plan
    base.policy = nil
    self.base = base
  }

  /// Whether layer `k` of the list at hand is exempt from the policy (a first or last product layer).
  func isExempt(_ k: Int) -> Bool { nesting == 1 && ends.contains(k) }

  /// Enters a list of layers (at the network's own level, finds the layers `endsInFloat32` exempts);
  /// returns the format entering it, which `leave` restores (a residual block's branches each start
  /// from it).
  mutating func enter<T>(_ layers: [Layer<T>]) -> FloatFormat? {
    nesting += 1
    if nesting == 1, let policy, policy.endsInFloat32 {
      let products = layers.indices.filter { layers[$0].operation == .product }
      ends = Set([products.first, products.last].compactMap { $0 })
    }
    return format
  }

  /// Leaves a list of layers, the position as `enter` found it.
  mutating func leave(restoring entering: FloatFormat?) {
    nesting -= 1
    format = entering
  }

  /// The rule layer `k` (of class `operation`) follows.
  func rule(_ operation: OperationClass, _ k: Int) -> PrecisionPolicy.Rule? {
    policy?.rule(operation, exempt: isExempt(k))
  }
}

extension NetworkLayer {
  func outputFormat(entering: FloatFormat?, _ policy: PrecisionPolicy, exempt: Bool) -> FloatFormat? {
    switch policy.rule(Self.operation, exempt: exempt) {
    case .lower: policy.low
    case .float32: nil
    case .input: entering
    }
  }
}

extension Layer {
  /// The layer's class for a precision policy.
  var operation: OperationClass {
    var v = Network<T>.Operation()
    return open(&v)
  }
}

extension Network {
  struct Operation: LayerVisitor {
    typealias Scalar = T
    mutating func visit<L: NetworkLayer<T>>(_: inout L, name _: String) -> OperationClass { L.operation }
  }

  /// The format of a layer's output under `policy`, from that of its input.
  struct OutputFormat: LayerVisitor {
    typealias Scalar = T
    let entering: FloatFormat?
    let policy: PrecisionPolicy
    let exempt: Bool
    mutating func visit<L: NetworkLayer<T>>(_ layer: inout L, name _: String) -> FloatFormat? {
      layer.outputFormat(entering: entering, policy, exempt: exempt)
    }
  }

  /// The format entering each of `layers` and, last, the format of their output, under `policy`, for
  /// values entering in `entering`; `exempt` says which layers compute in binary32.
  static func formats(_ layers: [Layer<T>], entering: FloatFormat?, _ policy: PrecisionPolicy, exempt: (Int) -> Bool) -> [FloatFormat?] {
    var formats = [entering]
    for k in layers.indices {
      var v = OutputFormat(entering: formats[k], policy: policy, exempt: exempt(k))
      formats.append(layers[k].open(&v))
    }
    return formats
  }

  /// The wider of two branches' formats (PyTorch's type promotion: the same format, else binary32).
  static func wider(_ a: FloatFormat?, _ b: FloatFormat?) -> FloatFormat? { a == b ? a : nil }

  /// `t` rounded into `format` (nil: left in the storage format).
  static func rounded(_ t: Tensor<T>, into format: FloatFormat?) -> Tensor<T> {
    guard let format else { return t }
    return OperandRounding(format: format, mode: .nearestEven).rounded(t)
  }

  /// A `lower` product layer's parameters as it computes with them: the bias rounded into the policy's
  /// low format. The weight is left as stored: it is a product operand, which the layer's plan
  /// (`PrecisionPolicy.lowerPlan`) rounds or MX-quantizes inside the kernels.
  static func loweredParameters(_ parameters: [Tensor<T>], _ policy: PrecisionPolicy) -> [Tensor<T>] {
    parameters.map { $0.rank > 1 ? $0 : policy.rounding.rounded($0) }
  }
}

extension Residual {
  /// The sum of the branches, rounded into the wider of their formats.
  func outputFormat(entering: FloatFormat?, _ policy: PrecisionPolicy, exempt _: Bool) -> FloatFormat? {
    let inner = { (_: Int) in false }
    return Network<T>.wider(
      Network.formats(main, entering: entering, policy, exempt: inner).last!,
      Network.formats(shortcut, entering: entering, policy, exempt: inner).last!)
  }
}
