import Datasets
import Scalars
import Tensors

/// The volume of the bifurcation zone (Bertoin et al. 2021, section 3), one run: a fresh θ, backprop
/// with ReLU'(0) = `alphas.0` and `alphas.1` on the mini-batches in order, gradients compared exactly
/// (numeric equality, as `torch.equal`: −0 equals +0; a NaN or an infinity in either is a difference,
/// see `gradientsEqual`).
///
/// Exactness shortcut (`screening`): the two backprops differ only through the activation's
/// derivative at inputs that are exactly at the kink, so a batch whose forward pass has no such input
/// cannot differ: it needs no backward pass. Where the backward passes are needed, the part above the
/// highest layer with a kink input is shared (it is the same computation for both alphas). Both
/// shortcuts give the two-network protocol's result (`screening = false` runs that protocol,
/// two networks each doing its own forward and backward); a test checks it on many seeds and formats.
/// With `accumulateGradients` the two running sums are equal until the first batch that can differ,
/// so no backward pass runs before it; there the batches before it are replayed to form the sums
/// (the same values, bit for bit), which are then kept up on every batch. A pass without a kink input
/// (binary64, say) costs forward passes only.
/// One case differs: a backward pass that overflows to infinity or NaN on a batch with no kink input
/// and a finite forward pass is not computed, so not counted as a difference (a batch whose logits
/// are not finite is compared; once summed gradients are formed, every batch is; in the replay such a
/// non-finite sum is seen at the batch that started it).
/// With stochastic rounding every phase of every batch reseeds its stream, so both alphas draw the
/// same random bits (common random numbers) and the comparison measures the kink alone; the shared
/// backward part is then not used.
public struct BifurcationStudy: Sendable {
  public enum Comparison: String, Sendable, CaseIterable {
    /// The first parameterised layer's weight gradient (the paper's choice).
    case firstLayer = "first-layer"
    /// Every parameter's gradient.
    case all
  }

  public var model: ModelSpec
  public var compute: ComputeSettings
  public var alphas: (Double, Double) = (0, 1)
  public var kinkRule: KinkRule = .scale
  /// The activation both networks use, each with its own derivative at the kinks.
  public var activation: ActivationKind = .relu
  public var comparison: Comparison = .firstLayer
  /// Stop at the first differing batch (the paper), or examine every batch.
  public var untilFirstDifference = true
  /// The paper's loops never reset gradients: compare running sums over the batches instead of each
  /// batch's own gradient.
  public var accumulateGradients = false
  /// The loss gradient is multiplied by this before backprop (loss scaling, as mixed-precision training
  /// does): the compared gradients are the scaled ones, as computed; the recorded norms are divided by it.
  public var lossScale: Double = 1
  /// Classify the kink inputs of the differing batches by cause (those at activations that directly
  /// follow a dense or convolution layer; see `ZeroCause`).
  public var rootCause = false
  public var screening = true
  /// Record the exact zeros at activations that follow dense layers, each with the last operation of its
  /// sum (`zeroOperations`), up to `zeroOperationLimit` per run.
  public var recordZeroOperations = false
  public var zeroOperationLimit = 64
  /// Keep a record of every examined batch with the norms of both compared gradients (this needs a
  /// backward pass on every batch: what `graddiff` reports).
  public var recordBatches = false
  public var feed: BatchFeed
  /// Seed of θ (PyTorch's default initialisation, drawn in binary32).
  public var seed: UInt64

  public init(model: ModelSpec, compute: ComputeSettings, feed: BatchFeed, seed: UInt64) {
    self.model = model
    self.compute = compute
    self.feed = feed
    self.seed = seed
  }

  public struct Record: Sendable, Hashable {
    /// Index (from 0) of the first batch whose compared gradients differ; nil when none did (θ ∉ S).
    public var firstDifference: Int?
    public var batchesExamined = 0
    /// Batches whose compared gradients differ (1 at most unless every batch is examined).
    public var batchesDiffering = 0
    /// Batches with at least one activation input exactly at the kink.
    public var batchesWithKinks = 0
    /// Activation inputs exactly at the kink, per activation layer, over the examined batches.
    public var kinksPerLayer: [Int] = []
    /// Norms of the difference of the compared gradients at the first differing batch.
    public var difference: Norms?
    /// Norms of the compared gradient with `alphas.0` at the first differing batch.
    public var gradient: Norms?
    /// Index of the first examined batch whose compared gradients (either alpha) hold a NaN or an
    /// infinity; nil when none did. Such a batch counts as differing.
    public var firstNonFinite: Int?
    /// Backward passes computed (a measure of the screening's saving; 2 per batch without it).
    public var backwardPasses = 0
    /// Causes of the kink inputs of the differing batches (when `rootCause` and available).
    public var causes: ZeroCauses?
    /// Per examined batch, when `recordBatches`.
    public var batches: [BatchRecord] = []
    /// The first zeros of the examined batches with their last operations, when
    /// `recordZeroOperations` (at most `zeroOperationLimit`; `kinksPerLayer` counts all of them).
    public var zeroOperations: [ZeroOperation] = []

    /// Counts a batch whose compared gradients differ; the first one's norms (unscaled).
    mutating func countDifference<T: PrecisionScalar>(at b: Int, _ gA: [Tensor<T>], _ gB: [Tensor<T>], lossScale: Double) {
      batchesDiffering += 1
      guard firstDifference == nil else { return }
      firstDifference = b
      difference = Norms.ofDifference(gA, gB).divided(by: lossScale)
      gradient = Norms.of(gA).divided(by: lossScale)
    }

    /// Adds one batch's kink inputs per layer; whether it had any.
    mutating func count(kinks: [Int]) -> Bool {
      if kinksPerLayer.isEmpty { kinksPerLayer = Array(repeating: 0, count: kinks.count) }
      for (l, n) in kinks.enumerated() { kinksPerLayer[l] += n }
      let any = kinks.contains { $0 > 0 }
      if any { batchesWithKinks += 1 }
      return any
    }
  }

  public struct BatchRecord: Sendable, Hashable {
    public var index: Int
    /// Activation inputs exactly at the kink in this batch (all layers).
    public var kinks: Int
    public var differs: Bool
    /// A compared gradient holds a NaN or an infinity (the batch then counts as differing).
    public var nonFinite: Bool
    /// Norms of the compared gradients with `alphas.0` and `alphas.1`, and of their difference.
    public var gradientA: Norms
    public var gradientB: Norms
    public var difference: Norms
  }

  public func run() throws -> Record {
    try compute.run(Visitor(study: self))
  }

  struct Visitor: ScalarVisitor {
    let study: BifurcationStudy

    /// The compared gradients summed over batches 0 ..< b (the paper's quirk), formed by replaying those
    /// batches (one backward pass each, no kink input among them): bit for bit what computing them on the
    /// way gives. The replays run on a copy, so they never touch the running batch-norm statistics.
    static func replayedSums<T: PrecisionScalar>(
      _ network: Network<T>, _ s: BifurcationStudy, before b: Int, _ order: BatchOrder, _ activationB: Activation,
      _ selection: Network<T>.GradientSelection
    ) -> ([Tensor<T>], [Tensor<T>])? {
      let plan = s.compute.plan
      var replay = network
      var sums: ([Tensor<T>], [Tensor<T>])? = nil
      for j in 0..<b {
        s.compute.reseed(step: j, phase: 0)
        let (xj0, labelsJ) = s.feed.batch(j, of: order, step: j, as: T.self)
        let passJ = Network<T>.Pass(training: true, step: j)
        let forwardJ = replay.forwardPass(xj0.reshaped([labelsJ.count] + s.model.input), plan, passJ)
        let (gJ, _) = Self.batchGradients(replay, forwardJ, labelsJ, activationB, selection, hasKink: false, s.compute, plan, passJ, lossScale: s.lossScale)
        let part = s.comparison == .firstLayer ? [gJ[0]] : gJ
        sums = sums.map { (zip($0.0, part).map { $0.adding($1) }, zip($0.1, part).map { $0.adding($1) }) } ?? (part, part)
      }
      return sums
    }

    func visit<T: PrecisionScalar>(storage _: T.Type) throws -> Record {
      let s = study
      let plan = s.compute.plan
      guard let activationA = s.activation.activation(kink: s.alphas.0, rule: s.kinkRule),
        let activationB = s.activation.activation(kink: s.alphas.1, rule: s.kinkRule)
      else { preconditionFailure("\(s.activation) has no kink: the two networks would be the same") }
      var network: Network<T> = s.model.make(activation: .activation(activationA), seed: s.seed)
      var other = network.replacingActivations(with: activationB)  // the two-network protocol's second copy
      let selection: Network<T>.GradientSelection = s.comparison == .firstLayer ? .firstLayer : .all
      let order = s.feed.order(epoch: 0)
      var record = Record()
      var sums: ([Tensor<T>], [Tensor<T>])? = nil
      if s.rootCause, s.screening, ZeroCause.isSupported(T.format) { record.causes = ZeroCauses() }
      for b in 0..<s.feed.batchCount {
        s.compute.reseed(step: b, phase: 0)
        let (x0, labels) = s.feed.batch(b, of: order, step: b, as: T.self)
        let x = x0.reshaped([labels.count] + s.model.input)
        let pass = Network<T>.Pass(training: true, step: b)
        record.batchesExamined += 1
        var compared: ([Tensor<T>], [Tensor<T>])? = nil
        let forward: Network<T>.ForwardPass
        if !s.screening {
          // The two-network protocol: each network its own forward and backward.
          let a = Self.gradients(&network, x, labels, plan, s.compute, pass, lossScale: s.lossScale)
          let b = Self.gradients(&other, x, labels, plan, s.compute, pass, lossScale: s.lossScale)
          forward = a.forward
          compared = s.comparison == .firstLayer ? ([a.gradients[0]], [b.gradients[0]]) : (a.gradients, b.gradients)
          record.backwardPasses += 2
        } else {
          forward = network.forwardPass(x, plan, pass)
          // A non-finite forward pass makes non-finite gradients, a difference even without a kink.
          let nonFiniteForward = forward.logits.storage.contains { !$0.isFinite }
          let hasKink = forward.kinks.contains { $0 > 0 }
          // Summed gradients are equal until the first batch that can differ: they are formed then,
          // by replaying the batches before it (bit for bit what computing them on the way gives),
          // and kept up from there on. A pass without such a batch needs no backward pass at all.
          let summing = s.accumulateGradients && (sums != nil || s.recordBatches)
          // A scaled loss gradient can overflow in the backward pass of a batch without a kink input,
          // which the two-network protocol counts as a difference: with a loss scale every batch gets
          // (at least) the alpha=A backward pass.
          if hasKink || nonFiniteForward || summing || s.recordBatches || s.lossScale != 1 {
            if s.accumulateGradients && sums == nil && b > 0 {
              sums = Self.replayedSums(network, s, before: b, order, activationB, selection)
              record.backwardPasses += b
            }
            let (gA, gB) = Self.batchGradients(network, forward, labels, activationB, selection, hasKink: hasKink, s.compute, plan, pass, lossScale: s.lossScale)
            compared = s.comparison == .firstLayer ? ([gA[0]], [gB[0]]) : (gA, gB)
            record.backwardPasses += hasKink ? 2 : 1
          }
        }
        let kinks = forward.kinks
        let hasKink = record.count(kinks: kinks)
        if hasKink && s.recordZeroOperations && record.zeroOperations.count < s.zeroOperationLimit {
          record.zeroOperations += network.zeroOperations(forward, batch: b, plan: plan, limit: s.zeroOperationLimit - record.zeroOperations.count)
        }
        guard var (gA, gB) = compared else { continue }  // no kink input: no difference possible
        if s.accumulateGradients {
          if let (sumA, sumB) = sums {
            gA = zip(sumA, gA).map { $0.adding($1) }
            gB = zip(sumB, gB).map { $0.adding($1) }
          }
          sums = (gA, gB)
        }
        let differs = !gradientsEqual(gA, gB)
        let nonFinite = differs && (gradientsContainNonFinite(gA) || gradientsContainNonFinite(gB))
        if nonFinite && record.firstNonFinite == nil { record.firstNonFinite = b }
        if s.recordBatches {
          record.batches.append(BatchRecord(
            index: b, kinks: kinks.reduce(0, +), differs: differs, nonFinite: nonFinite, gradientA: Norms.of(gA).divided(by: s.lossScale), gradientB: Norms.of(gB).divided(by: s.lossScale),
            difference: Norms.ofDifference(gA, gB).divided(by: s.lossScale)))
        }
        if differs {
          record.countDifference(at: b, gA, gB, lossScale: s.lossScale)
          if record.causes != nil, let c = network.zeroCauses(forward) { record.causes! = record.causes! + c }
          if s.untilFirstDifference { break }
        }
      }
      return record
    }

    /// The gradients of one batch for both alphas, from its forward pass: the shared upper backward
    /// (`pairedBackward`), or with stochastic rounding a replay of the whole backward pass per alpha
    /// from the batch's stream (the second only when a kink input can make it differ).
    static func batchGradients<T: PrecisionScalar>(
      _ network: Network<T>, _ forward: Network<T>.ForwardPass, _ labels: [Int], _ activationB: Activation,
      _ selection: Network<T>.GradientSelection, hasKink: Bool, _ compute: ComputeSettings, _ plan: KernelPlan, _ pass: Network<T>.Pass,
      lossScale: Double
    ) -> ([Tensor<T>], [Tensor<T>]) {
      compute.reseed(step: pass.step, phase: 1)
      let dLogits = SoftmaxCrossEntropy.scaled(SoftmaxCrossEntropy.lossAndGradient(logits: forward.logits, labels: labels).gradient, by: lossScale)
      guard compute.rounding == .stochastic else {
        return network.pairedBackward(forward, dLogits: dLogits, alternative: activationB, selection: selection, plan, pass)
      }
      // Every operation draws from the stream: each alpha replays the whole pass from one seed.
      compute.reseed(step: pass.step, phase: 2)
      let gA = network.backward(forward, dLogits: dLogits, plan, pass)
      guard hasKink else { return (gA, gA) }
      compute.reseed(step: pass.step, phase: 2)
      return (gA, network.replacingActivations(with: activationB).backward(forward, dLogits: dLogits, plan, pass))
    }

    /// Forward and backward of one copy (the two-network protocol), each phase from its reseeded stream.
    static func gradients<T: PrecisionScalar>(
      _ network: inout Network<T>, _ x: Tensor<T>, _ labels: [Int], _ plan: KernelPlan, _ compute: ComputeSettings,
      _ pass: Network<T>.Pass, lossScale: Double
    ) -> (gradients: [Tensor<T>], forward: Network<T>.ForwardPass) {
      compute.reseed(step: pass.step, phase: 0)
      let forward = network.forwardPass(x, plan, pass)
      compute.reseed(step: pass.step, phase: 1)
      let dLogits = SoftmaxCrossEntropy.scaled(SoftmaxCrossEntropy.lossAndGradient(logits: forward.logits, labels: labels).gradient, by: lossScale)
      compute.reseed(step: pass.step, phase: 2)
      return (network.backward(forward, dLogits: dLogits, plan, pass), forward)
    }
  }
}
