import Datasets
import Networks

/// One trial of a grid: a value for every parameter (canonical spelling) and a seed.
public struct Trial: Sendable, Hashable {
  /// Position in the full grid (before sharding), from 0.
  public let index: Int
  public let values: [String: String]
  /// The seed of θ, the data order and the rounding streams.
  public let seed: UInt64
  /// The run seed the grid gave (base seed + run index): `seed` itself with paired draws, else the
  /// seed is derived from it and the cell's values.
  public let runSeed: UInt64
  /// Whether the grid's cells share their draws (`--paired`).
  public let paired: Bool
  /// Stable key: a hash of the experiment, every parameter value and the seed.
  public let key: String

  public subscript(_ name: String) -> String {
    guard let v = values[name] else { preconditionFailure("trial has no parameter '\(name)'") }
    return v
  }
  func flag(_ name: String) -> Bool { self[name] == "true" }
  func int(_ name: String) -> Int { Int(self[name])! }
  func double(_ name: String) -> Double { Double(self[name])! }

  /// The model this trial's values name (on its data's samples).
  var model: ModelSpec { ModelParameters.spec(values, sampleShape: DataParameters.inputShape(values)) }

  /// How this trial computes (its seed seeds the stochastic rounding unless `--rounding-seed` says).
  func compute(threads: Int) -> ComputeSettings { ComputeParameters.settings(values, seed: seed, threads: threads) }

  /// The activation and its derivatives at the kinks.
  var kinks: KinkSetting { KinkParameters.setting(values) }

  /// This trial's training batches and test set.
  func feed(_ context: TrialContext) throws -> (BatchFeed, LabeledImages) { try DataParameters.feed(values, seed: seed, context.data) }
}

/// What a trial may use besides its values.
public struct TrialContext: Sendable {
  public let data: DataCache
  /// A folder for per-trial checkpoints (training), or nil for none.
  public let checkpointDirectory: String?
  /// Threads inside each trial's kernels (never changes a result).
  public let threads: Int

  public init(data: DataCache, checkpointDirectory: String?, threads: Int = 1) {
    self.data = data
    self.checkpointDirectory = checkpointDirectory
    self.threads = threads
  }
}
