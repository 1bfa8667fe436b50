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
  /// Result columns added after results were written, each with the value older rows read as.
  var addedResultColumns: [String: String] = [:]
  /// Replaces the values a preset fills in (`--accumulate auto`, the options `--protocol` sets) by
  /// what they mean in one grid cell, before the cell is checked, keyed and run.
  var resolve: @Sendable (_ values: inout [String: String]) -> Void = { ComputeParameters.resolve(&$0) }
  /// Which statistics `summarize` computes over this experiment's rows (`Summary`).
  public var summary: SummaryKind = .training
  /// The summary column a sweep's figure plots by default.
  public var plotColumn = "test_accuracy_mean"
  let check: @Sendable (_ values: [String: String]) -> ParameterError?
  let run: @Sendable (_ trial: Trial, _ context: TrialContext, _ emit: (_ row: [String], _ final: Bool) -> Void) throws -> Void

  public func parameter(_ name: String) -> Parameter? { parameters.first { $0.name == name } }

  /// The statistics `summarize` computes: the volume of S (and the first-difference view), the gradient
  /// gaps per batch, the trajectories' distances, or training's accuracy and zeros.
  public enum SummaryKind: Sendable { case volume, gradientGaps, census, trajectory, training }

  /// This experiment summarised as `summary`, its figures plotting `column`.
  func summarized(as summary: SummaryKind, plotting column: String) -> Experiment {
    var e = self
    e.summary = summary
    e.plotColumn = column
    return e
  }

  /// One cell's values with every preset filled in.
  public func resolved(_ values: [String: String]) -> [String: String] {
    var v = values
    resolve(&v)
    return v
  }

  /// One cell's values as trial keys and draw seeds see them: without the options added later that
  /// hold their legacy value (see `Parameter.legacyValue`).
  public func keyed(_ values: [String: String]) -> [String: String] {
    values.filter { name, value in parameter(name)?.legacyValue != value }
  }

  /// The columns rows written before an option existed lack, each with the value they were computed with.
  public var legacyColumns: [String: String] {
    Dictionary(uniqueKeysWithValues: parameters.compactMap { p in p.legacyValue.map { (p.column, $0) } })
      .merging(addedResultColumns) { option, _ in option }
  }

  /// The options as a table (parsing, help, completion).
  public var table: ParameterTable { ParameterTable(parameters, owner: name) }

  /// The options of every study: model, computation, ReLU'(0) (one value or a pair), data.
  static func studyParameters(relu0: String, pair: Bool, batchSize: Int) -> [Parameter] {
    ModelParameters.all + ComputeParameters.all + [KinkParameters.relu0(default: relu0, pair: pair), KinkParameters.rule, KinkParameters.activationKind]
      + DataParameters.all(batchSize: batchSize)
  }

  /// The checks every study's values pass: the computation, the data, and the model on that data.
  /// The volume studies' options: every study's, the comparison and the paper's quirk, under
  /// `--protocol` (which sets them unless given).
  static func volumeParameters(extra: [Parameter]) -> [Parameter] {
    ProtocolParameters.applied(to: studyParameters(relu0: "0,1", pair: true, batchSize: 256) + [
      .choice("compare", ["first-layer", "all"], default: "first-layer", help: "Compare the first layer's weight gradient (the paper) or every gradient."),
      .flag("accumulate-gradients", default: false, help: "The paper's quirk: compare gradients summed over the batches so far."),
      ComputeParameters.lossScale(dynamic: false).added(withLegacyValue: "1"),
    ] + extra)
  }

  /// Fills `--accumulate auto` and the options `--protocol` sets.
  static let resolveVolume: @Sendable (inout [String: String]) -> Void = { v in
    ComputeParameters.resolve(&v)
    ProtocolParameters.resolve(&v)
  }

  static func studyProblem(_ v: [String: String]) -> ParameterError? {
    if let problem = ComputeParameters.problem(v) ?? DataParameters.problem(v) { return problem }
    let shape = DataParameters.inputShape(v)
    let model = ModelParameters.spec(v, sampleShape: shape)
    if let problem = model.problem(sampleShape: shape, dataClasses: DataParameters.classes) {
      return ParameterError("--model \(ModelParameters.kind(v).rawValue) on --data \(DataParameters.name(v)): \(problem)")
    }
    if let problem = KinkParameters.problem(v) { return problem }
    if let batch = DataParameters.batchSize(v), let problem = model.memoryProblem(batchSize: batch) {
      return ParameterError("--model \(ModelParameters.kind(v).rawValue) with --batch-size \(batch): \(problem)")
    }
    return nil
  }

  public static let all: [Experiment] = [.bifurcation, .gradientDifference, .census, .zeros, .training, .trajectory]

  public static func named(_ name: String) -> Experiment? { all.first { $0.name == name } }

  /// The CSV header of this experiment's results.
  public var header: [String] {
    ["experiment", "trial", "grid", "grid_size", "trial_index"] + parameters.map(\.column) + ["seed", "run_seed", "draws"] + resultColumns
      + ["final", "error", "wall_seconds", "version", "commit"]
  }
}

