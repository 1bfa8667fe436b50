import Foundation
import Networks

/// `--protocol`: the volume studies' two protocols as presets of the options they set.
///
/// - `corrected` (the default): ReLU'(0) enters backprop multiplicatively (grad_in = α·grad_out at a
///   zero input), and each batch's own gradient is compared.
/// - `paper`: what the paper's code does (Bertoin et al. 2021): grad_in = α at a zero input (the
///   constant kink rule), gradients never reset, so the running sums over the pass are compared.
///
/// Both compare the first layer's weight gradient on the network with a ReLU after every hidden layer
/// (the paper's builder A). A preset fills only the options left at their default `protocol`: an
/// option given explicitly wins (`--protocol paper --kink-rule scale`). Results hold the protocol and
/// every option it set, never the word `protocol`.
public enum ProtocolParameters {
  public enum Preset: String, Sendable, CaseIterable {
    case corrected, paper
  }

  /// The default of every option a preset sets.
  static let fromPreset = "protocol"

  public static let parameter = Parameter.choice(
    "protocol", Preset.allCases.map(\.rawValue), default: Preset.corrected.rawValue,
    help: "corrected: grad_in = alpha·grad_out at 0, each batch's own gradient compared; paper: the paper's code (grad_in = alpha at 0, gradients summed over the pass). Both compare the first layer's weight gradient with a ReLU after every hidden layer. Options given explicitly override the preset."
  )

  /// The canonical values each preset gives the options it sets.
  public static func values(_ preset: Preset) -> [String: String] {
    switch preset {
    case .corrected:
      return ["kink-rule": KinkRule.scale.rawValue, "accumulate-gradients": "false", "compare": "first-layer", "first-relu": "true"]
    case .paper:
      return ["kink-rule": KinkRule.paper.rawValue, "accumulate-gradients": "true", "compare": "first-layer", "first-relu": "true"]
    }
  }

  /// `parameters` with every option a preset sets defaulting to the preset, and `--protocol` itself.
  static func applied(to parameters: [Parameter]) -> [Parameter] {
    let set = values(.corrected)
    return [parameter] + parameters.map { p in
      set[p.name] == nil ? p : p.presettable(fromPreset, help: "Default: set by --protocol.")
    }
  }

  /// Fills the options left at `protocol` from the values' preset.
  public static func resolve(_ v: inout [String: String]) {
    guard let name = v["protocol"], let preset = Preset(rawValue: name) else { return }
    for (option, value) in values(preset) where v[option] == fromPreset { v[option] = value }
  }
}
