import Foundation
import Networks

/// An experiment: its parameters (the configuration columns), its measured columns, a check of each
/// combination of values, and the code that runs one trial. `run` emits result rows through its last
/// argument, the trial's last row with `final` set; rows of a trial that never emitted a final row are
/// discarded when a sweep resumes (except that training resumes from its checkpoint).
public struct Experiment: Sendable {
  public let name: String
  public let abstract: String
  public let parameters: [Parameter]
  public let resultColumns: [String]
  /// Columns that identify a row within its trial (epoch, batch, iteration), if several rows.
  public let rowColumns: [String]
  let check: @Sendable (_ values: [String: String]) -> ParameterError?
  let run: @Sendable (_ trial: Trial, _ context: TrialContext, _ emit: (_ row: [String], _ final: Bool) -> Void) throws -> Void

  public func parameter(_ name: String) -> Parameter? { parameters.first { $0.name == name } }

  /// The options as a table (parsing, help, completion).
  public var table: ParameterTable { ParameterTable(parameters, owner: name) }

  /// The options of every study: model, computation, ReLU'(0) (one value or a pair), data.
  static func studyParameters(relu0: String, pair: Bool, batchSize: Int) -> [Parameter] {
    ModelParameters.all + ComputeParameters.all + [KinkParameters.relu0(default: relu0, pair: pair), KinkParameters.rule]
      + DataParameters.all(batchSize: batchSize)
  }

  /// The checks every study's values pass: the computation, the data, and the model on that data.
  static func studyProblem(_ v: [String: String]) -> ParameterError? {
    if let problem = ComputeParameters.problem(v) ?? DataParameters.problem(v) { return problem }
    let shape = DataParameters.sampleShape(v)
    let model = ModelParameters.spec(v, sampleShape: shape)
    if let problem = model.problem(sampleShape: shape, dataClasses: DataParameters.classes) {
      return ParameterError("--model \(v["model"]!) on --data \(v["data"]!): \(problem)")
    }
    if let batch = Int(v["batch-size"] ?? ""), let problem = model.memoryProblem(batchSize: batch) {
      return ParameterError("--model \(v["model"]!) with --batch-size \(batch): \(problem)")
    }
    return nil
  }

  public static let all: [Experiment] = [.bifurcation, .gradientDifference, .zeros, .training, .trajectory]

  public static func named(_ name: String) -> Experiment? { all.first { $0.name == name } }

  /// The CSV header of this experiment's results.
  public var header: [String] {
    ["experiment", "trial", "grid", "grid_size", "trial_index"] + parameters.map(\.column) + ["seed"] + resultColumns
      + ["final", "error", "wall_seconds", "version", "commit"]
  }
}

