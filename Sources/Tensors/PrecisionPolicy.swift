import Scalars

/// What a network operation is, for a precision policy: PyTorch autocast's categories, as they apply to
/// the layers a `Network` has.
public enum OperationClass: String, Sendable, Hashable, CaseIterable {
  /// A matrix product or convolution with its bias (dense and convolution layers): on autocast's
  /// lower-precision list on CUDA and on CPU.
  case product
  /// Batch norm: on no autocast list, so it runs in its input's format (cuDNN and the CPU kernel take
  /// half-precision input with binary32 parameters, compute in binary32 and round the output once).
  case normalization
  /// An elementwise or pooling operation (activations, max and average pooling, dropout, flatten): on
  /// no list, so it runs in its input's format.
  case elementwise
  /// A residual block: its branches follow their own rules; the sum of the branches is rounded into the
  /// wider of the two branches' formats (autocast's type promotion).
  case block
}

/// A mixed-precision policy: which format each operation of a network reads and writes, on top of a
/// binary32 computation (master weights, optimizer state, loss and softmax stay in binary32, the
/// storage format).
///
/// Numerical contract, for an operation whose rule is `lower`: its parameters (weight and bias) and
/// product operands are rounded to nearest even into `low` (or, with `mx`, the product operands are
/// MX-quantized along the reduction dimension and the bias rounded into `low`); the products and sums
/// run as the `KernelPlan` says (binary32 accumulation); the result is rounded once into `low`. In the
/// backward pass the same operands are rounded the same way (PyTorch differentiates through the casts),
/// and the layer's input and parameter gradients are rounded into `low` (a low-precision tensor's
/// gradient is low-precision). An operation whose rule is `input` computes in binary32 and rounds its
/// result (and its input gradient) into its input's format; `float32` leaves results in binary32.
/// The logits' gradient is rounded into the logits' format, as the backward of autocast's cast to
/// binary32 for the loss does. Computing in binary32 and rounding once into binary16 or bfloat16 is the
/// single correctly rounded operation for sums, products, quotients and square roots, since 24 ≥ 2·11 + 2
/// (double rounding is innocuous; Figueroa 1995).
public struct PrecisionPolicy: Sendable, Hashable, CustomStringConvertible {
  /// How an operation class casts, PyTorch autocast's three behaviours.
  public enum Rule: String, Sendable, Hashable {
    /// Inputs cast to the low format, result in it (autocast's lower-precision list).
    case lower
    /// Inputs taken in binary32, result in binary32 (autocast's float32 list).
    case float32
    /// Computed in binary32, result rounded into the input's format (ops on no list).
    case input
  }

  /// The preset's name (`autocast-cuda-fp16`, …, `lower:FORMAT`) without the overrides.
  public var preset: String
  /// The low-precision format of `lower` operations.
  public var low: FloatFormat
  /// Product operands MX-quantized instead of rounded into `low` (FP8 training), or nil.
  public var mx: MXScaling?
  public var products: Rule = .lower
  public var normalization: Rule = .input
  /// The first and the last top-level product layer computed in binary32 (common practice: the input
  /// and classifier layers kept in higher precision).
  public var endsInFloat32 = false

  public init(preset: String, low: FloatFormat, mx: MXScaling? = nil) {
    self.preset = preset
    self.low = low
    self.mx = mx
  }

  /// The rule of an operation class.
  public func rule(_ operation: OperationClass) -> Rule {
    switch operation {
    case .product: products
    case .normalization: normalization
    case .elementwise, .block: .input
    }
  }

  /// The rule of an operation class for a layer the overrides may exempt (`float32` then).
  public func rule(_ operation: OperationClass, exempt: Bool) -> Rule { exempt ? .float32 : rule(operation) }

  /// The presets: PyTorch autocast on CUDA and on CPU, in binary16 and bfloat16 (for the layers
  /// PrecisionLab has, both devices' lists put linear and convolution layers in low precision and
  /// batch norm, activations, pooling and residual additions on no list: the presets differ in the low
  /// format), and FP8 training (MXFP8 E4M3 product operands, bfloat16 results, binary32 master weights).
  public static let presets: [PrecisionPolicy] = [
    PrecisionPolicy(preset: "autocast-cuda-fp16", low: .binary16),
    PrecisionPolicy(preset: "autocast-cuda-bf16", low: .bfloat16),
    PrecisionPolicy(preset: "autocast-cpu-bf16", low: .bfloat16),
    PrecisionPolicy(preset: "autocast-cpu-fp16", low: .binary16),
    PrecisionPolicy(preset: "fp8-training", low: .bfloat16, mx: MXScaling(.e4m3)),
  ]

  /// Reads `PRESET` or `lower:FORMAT` (products in FORMAT, the rest as autocast), each optionally
  /// followed by `:ends-fp32` (first and last product layer in binary32) and `:norm-fp32` (batch norm
  /// on the float32 list); nil for anything else.
  public init?(name: String) {
    // The overrides are suffixes; what precedes them is a preset or `lower:` and a format name (which may
    // itself hold colons, as `ieee:11:127`).
    var rest = Substring(name)
    var ends = false, norm = false
    while true {
      if rest.hasSuffix(":ends-fp32"), !ends {
        ends = true
        rest = rest.dropLast(10)
      } else if rest.hasSuffix(":norm-fp32"), !norm {
        norm = true
        rest = rest.dropLast(10)
      } else {
        break
      }
    }
    var policy: PrecisionPolicy
    if rest.hasPrefix("lower:") {
      guard let format = try? FloatFormat.named(String(rest.dropFirst(6))) else { return nil }
      policy = PrecisionPolicy(preset: "lower:\(format.name)", low: format)
    } else {
      guard let preset = Self.presets.first(where: { $0.preset == rest }) else { return nil }
      policy = preset
    }
    policy.endsInFloat32 = ends
    if norm { policy.normalization = .float32 }
    self = policy
  }

  public var description: String {
    preset + (endsInFloat32 ? ":ends-fp32" : "") + (normalization == .float32 ? ":norm-fp32" : "")
  }

  /// The rounding of `lower` operands and results into `low`.
  @inlinable public var rounding: OperandRounding { OperandRounding(format: low, mode: .nearestEven) }

  /// The plan of a `lower` product: `base` with its operands rounded into `low` or MX-quantized.
  public func lowerPlan(_ base: KernelPlan) -> KernelPlan {
    var plan = base
    if let mx {
      plan.mx = mx
    } else {
      plan.operands = rounding
    }
    return plan
  }

  /// Why a computation stored in `storage` cannot follow this policy, or nil: the low format must be
  /// narrower than binary32 and within its range, the storage binary32 (the master weights), and MX
  /// operands need binary32 storage too.
  public func problem(storage: FloatFormat) -> String? {
    if storage != .binary32 {
      return "policies run on binary32 master weights and accumulation (--format binary32), not \(storage.name)"
    }
    if low.precision >= storage.precision {
      return "\(low.name) (\(low.precision) bits) is not narrower than binary32 (\(storage.precision) bits)"
    }
    return rounding.problem(storage: storage)
  }
}
