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

  /// What the activation cannot do with the other options: relu6 (a kink at 6) and gelu (no kink) with
  /// the zero classifiers, gelu with a pair of derivatives to compare.
  static func problem(_ v: [String: String]) -> ParameterError? {
    let kind = kind(v)
    let classifier = ["root-cause", "zero-operations"].first { v[$0] == "true" }
    if kind == .relu6, let flag = classifier {
      return ParameterError("--\(flag) classifies exact zeros, and relu6 also has a kink at 6: use relu or leaky-relu")
    }
    if !kind.hasKinks, let flag = classifier {
      return ParameterError("--\(flag) classifies the exact zeros at an activation's kinks, and \(kind) has none")
    }
    if !kind.hasKinks, let pair = v["relu0"], pair.contains(",") {
      return ParameterError("--activation \(kind) has no kink, so the networks --relu0 \(pair) compares would be the same: use it with grad or training")
    }
    return nil
  }

  /// The activation and its derivatives at the kinks, decoded once.
  public static func setting(_ v: [String: String]) -> KinkSetting {
    KinkSetting(
      activation: kind(v), alphas: v["relu0"]!.split(separator: ",").map { Double($0)! }, rule: KinkRule(rawValue: v["kink-rule"]!)!)
  }
}

/// A trial's activation and the derivatives it takes at the kinks (`--activation`, `--relu0`,
/// `--kink-rule`), as values (`KinkParameters.setting`).
public struct KinkSetting: Sendable, Hashable {
  public var activation: ActivationKind
  /// `--relu0`: the one derivative, or the pair a study compares.
  public var alphas: [Double]
  public var rule: KinkRule

  /// The activation layer with the first derivative (what a single network uses).
  public var layer: LayerSpec { activation.layer(kink: alphas[0], rule: rule) }

  /// The two derivatives a study compares.
  public var pair: (Double, Double) {
    precondition(alphas.count == 2, "--relu0 gave \(alphas.count) derivatives where a pair is compared")
    return (alphas[0], alphas[1])
  }
}
