import Scalars
import Tensors

/// λ, the activation inputs exactly at a kink (exact zeros for ReLU) per activation layer over the
/// batches of one pass, from forward passes alone: the bifurcation study's primary observable without
/// its backward passes. Each batch is computed as `BifurcationStudy` computes it (the same θ from the
/// seed, the same batches, the rounding streams reseeded per batch, training mode), so the counts equal
/// that study's `kinksPerLayer` with every batch examined.
public struct KinkCensusStudy: Sendable {
  public var model: ModelSpec
  public var compute: ComputeSettings
  public var feed: BatchFeed
  public var seed: UInt64
  /// The activation layer after each hidden layer (its derivative at the kinks plays no part here).
  public var activation: LayerSpec = .relu(0)

  public init(model: ModelSpec, compute: ComputeSettings, feed: BatchFeed, seed: UInt64) {
    self.model = model
    self.compute = compute
    self.feed = feed
    self.seed = seed
  }

  public struct Result: Sendable, Equatable {
    public var batchesExamined = 0
    /// Batches with at least one activation input at a kink.
    public var batchesWithKinks = 0
    /// Activation inputs at a kink, per activation layer in forward order, over the batches.
    public var kinksPerLayer: [Int] = []
    /// Activation inputs seen, per activation layer, over the batches.
    public var inputsPerLayer: [Int] = []
  }

  public func run() throws -> Result { try compute.run(Visitor(study: self)) }

  struct Visitor: ScalarVisitor {
    let study: KinkCensusStudy

    func visit<T: PrecisionScalar>(storage _: T.Type) throws -> Result {
      let s = study
      var network: Network<T> = s.model.make(activation: s.activation, seed: s.seed)
      let order = s.feed.order(epoch: 0)
      var result = Result()
      for b in 0..<s.feed.batchCount {
        s.compute.reseed(step: b, phase: 0)
        let (x0, labels) = s.feed.batch(b, of: order, step: b, as: T.self)
        let forward = network.forwardPass(x0.reshaped([labels.count] + s.model.input), s.compute.plan, Network<T>.Pass(training: true, step: b))
        let inputs = network.activationInputs(forward).map(\.count)
        if result.kinksPerLayer.isEmpty {
          result.kinksPerLayer = Array(repeating: 0, count: forward.kinks.count)
          result.inputsPerLayer = Array(repeating: 0, count: inputs.count)
        }
        result.batchesExamined += 1
        if forward.kinks.contains(where: { $0 > 0 }) { result.batchesWithKinks += 1 }
        for (l, k) in forward.kinks.enumerated() { result.kinksPerLayer[l] += k }
        for (l, n) in inputs.enumerated() { result.inputsPerLayer[l] += n }
      }
      return result
    }
  }
}
