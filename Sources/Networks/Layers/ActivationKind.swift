/// Which elementwise activation a model uses, without its derivatives at the kinks (`--activation`):
/// each network of a study makes it with the derivative it takes there (`--relu0`).
///
/// - `relu`: max(x, 0), one kink at 0 (PyTorch's `relu` backward takes 0 there).
/// - `leakyReLU(slope:)`: x for x > 0, slope·x otherwise (the product rounded once), one kink at 0
///   (PyTorch's `leaky_relu` backward takes the slope there: `x > 0 ? g : g·slope`).
/// - `relu6`: min(max(x, 0), 6), kinks at 0 and 6, both taking the derivative given (PyTorch's
///   `hardtanh` backward takes 0 at both).
/// - `gelu`: x·Φ(x) (`GELU`), smooth: no kink, so no derivative to choose (the kink studies refuse it).
///
/// With `--kink-rule scale` a kink's gradient is α·g, so a derivative of 0 gives −0 where g < 0; PyTorch
/// selects +0 there. The values are equal; only the sign of that zero differs.
public enum ActivationKind: Sendable, Hashable, CustomStringConvertible {
  case relu
  case leakyReLU(slope: Double)
  case relu6
  case gelu

  /// PyTorch's default negative slope (`nn.LeakyReLU()`).
  public static let defaultSlope = 0.01

  /// `relu`, `relu6`, `gelu`, `leaky-relu` (slope 0.01) or `leaky-relu:SLOPE` (a finite number).
  public init?(name: String) {
    switch name {
    case "relu": self = .relu
    case "relu6": self = .relu6
    case "gelu": self = .gelu
    case "leaky-relu": self = .leakyReLU(slope: Self.defaultSlope)
    default:
      guard name.hasPrefix("leaky-relu:"), let slope = Double(name.dropFirst("leaky-relu:".count)), slope.isFinite else { return nil }
      self = .leakyReLU(slope: slope)
    }
  }

  /// The canonical spelling: `relu`, `relu6`, `gelu`, `leaky-relu:SLOPE` (the shortest decimal of the slope).
  public var description: String {
    switch self {
    case .relu: return "relu"
    case .relu6: return "relu6"
    case .gelu: return "gelu"
    case .leakyReLU(let slope): return "leaky-relu:\(slope)"
    }
  }

  /// Whether the activation has kinks (points where a derivative must be chosen).
  public var hasKinks: Bool { self != .gelu }

  /// The activation whose derivative at each kink is `alpha`, entering backprop by `rule`; nil for one
  /// without kinks, which is a layer of its own (`layer(kink:rule:)`).
  public func activation(kink alpha: Double, rule: KinkRule) -> Activation? {
    switch self {
    case .relu: return .relu(alpha: .constant(alpha), rule: rule)
    case .leakyReLU(let slope): return .leakyReLU(slope: slope, atZero: .constant(alpha), rule: rule)
    case .relu6: return .relu6(alpha: .constant(alpha), beta: .constant(alpha), rule: rule)
    case .gelu: return nil
    }
  }

  /// The layer the builders put after each hidden layer: the activation with derivative `alpha` at its
  /// kinks, or GELU.
  public func layer(kink alpha: Double, rule: KinkRule) -> LayerSpec {
    activation(kink: alpha, rule: rule).map(LayerSpec.activation) ?? .gelu(GELU())
  }
}
