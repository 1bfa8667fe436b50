import Foundation
import Networks

/// The derivative used at ReLU's kink and how it enters backprop.
public enum KinkParameters {
  /// `--relu0`: one value, or a pair `A,B` for the studies that compare two.
  public static func relu0(default value: String, pair: Bool) -> Parameter {
    Parameter(
      "relu0", default: value, separator: pair ? ";" : ",",
      help: pair ? "The pair of ReLU'(0) values compared, A,B (alternatives separated by ';')." : "ReLU'(0), the derivative used at 0."
    ) { v in
      let parts = v.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
      guard parts.count == (pair ? 2 : 1), parts.allSatisfy({ $0?.isFinite == true }) else {
        return .failure(ParameterError("--relu0: expected \(pair ? "a pair A,B of numbers like 0,1" : "a finite number"), got '\(v)'"))
      }
      return .success(parts.map { Parameter.shortest($0!) }.joined(separator: ","))
    }
  }

  public static let rule = Parameter.choice(
    "kink-rule", KinkRule.allCases.map(\.rawValue), default: KinkRule.scale.rawValue,
    help: "scale: grad_in = alpha·grad_out at 0; paper: grad_in = alpha (the paper's code).")

  /// `--activation`: which activation the model uses; `--relu0` gives its derivative at the kinks.
  public static let activationKind = Parameter(
    "activation", default: "relu",
    help: "The activation: relu, relu6 (kinks at 0 and 6, both taking the --relu0 derivative), leaky-relu[:SLOPE] (slope 0.01 by default, PyTorch's; its derivative at 0 is --relu0, PyTorch's backward takes the slope there) or gelu (smooth, no kink: grad and training only)."
  ) { v in
    guard let kind = ActivationKind(name: v) else {
      return .failure(ParameterError("--activation: expected relu, relu6, gelu, leaky-relu or leaky-relu:SLOPE (a finite number), got '\(v)'"))
    }
    return .success(kind.description)
  }.added(withLegacyValue: "relu")

  /// The activation the values name (legacy rows: ReLU).
  public static func kind(_ v: [String: String]) -> ActivationKind { v["activation"].flatMap(ActivationKind.init(name:)) ?? .relu }

  /// The activation layer with the one kink derivative `--relu0 A` (GELU has none to take).
  public static func activation(_ v: [String: String]) -> LayerSpec {
    kind(v).layer(kink: Double(v["relu0"]!)!, rule: KinkRule(rawValue: v["kink-rule"]!)!)
  }

  /// The pair compared (`--relu0 A,B`).
  public static func alphas(_ v: [String: String]) -> (Double, Double) {
    let parts = v["relu0"]!.split(separator: ",").map { Double($0)! }
    return (parts[0], parts[1])
  }
}
