import Datasets
import Scalars
import Tensors

/// The volume of the bifurcation zone (Bertoin et al. 2021, section 3), one run: a fresh θ, backprop
/// with ReLU'(0) = `alphas.0` and `alphas.1` on the mini-batches in order, gradients compared exactly
/// (numeric equality, as `torch.equal`: −0 equals +0).
///
/// Exactness shortcut (`screening`): the two backprops differ only through the activation's
/// derivative at inputs that are exactly at the kink, so a batch whose forward pass has no such input
/// cannot differ: it needs no backward pass. Where the backward passes are needed, the part above the
/// highest layer with a kink input is shared (it is the same computation for both alphas). Both
/// shortcuts give exactly the two-network protocol's result (`screening = false` runs that protocol,
/// two networks each doing its own forward and backward); a test checks it on many seeds and formats.
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

  public var model: GradientJob.Model
  public var compute: ComputeSettings
  public var alphas: (Double, Double) = (0, 1)
  public var kinkRule: KinkRule = .scale
  public var comparison: Comparison = .firstLayer
  /// Stop at the first differing batch (the paper), or examine every batch.
  public var untilFirstDifference = true
  /// The paper's loops never reset gradients: compare running sums over the batches instead of each
  /// batch's own gradient.
  public var accumulateGradients = false
  /// Classify the kink inputs of the differing batches by cause (those at activations that directly
  /// follow a dense or convolution layer; see `ZeroCause`).
  public var rootCause = false
  public var screening = true
  /// Keep a record of every examined batch with the norms of both compared gradients (this needs a
  /// backward pass on every batch: what `graddiff` reports).
  public var recordBatches = false
  public var feed: BatchFeed
  /// Seed of θ (PyTorch's default initialisation, drawn in binary32).
  public var seed: UInt64

  public init(model: GradientJob.Model, compute: ComputeSettings, feed: BatchFeed, seed: UInt64) {
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
    /// Backward passes computed (a measure of the screening's saving; 2 per batch without it).
    public var backwardPasses = 0
    /// Causes of the kink inputs of the differing batches (when `rootCause` and available).
    public var causes: ZeroCauses?
    /// Per examined batch, when `recordBatches`.
    public var batches: [BatchRecord] = []
  }

  public struct BatchRecord: Sendable, Hashable {
    public var index: Int
    /// Activation inputs exactly at the kink in this batch (all layers).
    public var kinks: Int
    public var differs: Bool
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

    func visit<T: PrecisionScalar, A: PrecisionScalar>(storage _: T.Type, accumulate _: A.Type) throws -> Record {
      let s = study
      let plan = KernelPlan(accumulate: A.self, options: s.compute.options, threads: s.compute.threads)
      let activationA = Activation.relu(s.alphas.0, rule: s.kinkRule)
      let activationB = Activation.relu(s.alphas.1, rule: s.kinkRule)
      let modelA = StudyModel<T>.make(s.model, activation: activationA, seed: s.seed)
      var modelB = StudyModel<T>.make(s.model, activation: activationB, seed: s.seed)
      let shape = StudyModel<T>.sampleShape(s.model)
      let order = s.feed.order(epoch: 0)
      var record = Record()
      var sums: ([Tensor<T>], [Tensor<T>])? = nil
      var current = modelA
      if s.rootCause, s.screening, ZeroCause.isSupported(T.format) { record.causes = ZeroCauses() }
      for b in 0..<s.feed.batchCount {
        s.compute.reseed(step: b, phase: 0)
        let (x0, labels) = s.feed.batch(b, of: order, step: b, as: T.self)
        let x = x0.reshaped([labels.count] + shape)
        record.batchesExamined += 1
        var compared: ([Tensor<T>], [Tensor<T>])? = nil
        var kinks: [Int]
        var mlpPass: (MLP<T>, MLP<T>.ForwardPass)? = nil
        var networkPass: (Network<T>, Network<T>.ForwardPass)? = nil
        if !s.screening {
          // The two-network protocol: each network its own forward and backward.
          let (gA, kA) = Self.gradients(&current, x, labels, plan, s.compute, step: b, s.comparison)
          let (gB, _) = Self.gradients(&modelB, x, labels, plan, s.compute, step: b, s.comparison)
          kinks = kA
          compared = (gA, gB)
          record.backwardPasses += 2
        } else {
          switch current {
          case .mlp(let net):
            let pass = net.forward(x, plan)
            kinks = net.kinkCounts(pass)
            mlpPass = (net, pass)
            if kinks.contains(where: { $0 > 0 }) || s.accumulateGradients || s.recordBatches {
              s.compute.reseed(step: b, phase: 1)
              let dLogits = SoftmaxCrossEntropy.lossAndGradient(logits: pass.logits, labels: labels).gradient
              let (gA, gB, passes) = Self.pairBackward(
                net, pass, dLogits, plan, s.compute, activationA, activationB, kinks: kinks, step: b,
                firstLayerOnly: s.comparison == .firstLayer)
              compared = (gA, gB)
              record.backwardPasses += passes
            }
          case .network(var net):
            let pass = Network<T>.Pass(training: true, step: b)
            let forward = net.forwardPass(x, plan, pass)
            current = .network(net)
            kinks = forward.kinks
            networkPass = (net, forward)
            if kinks.contains(where: { $0 > 0 }) || s.accumulateGradients || s.recordBatches {
              s.compute.reseed(step: b, phase: 1)
              let dLogits = SoftmaxCrossEntropy.lossAndGradient(logits: forward.logits, labels: labels).gradient
              s.compute.reseed(step: b, phase: 2)
              let gA = net.backward(forward, dLogits: dLogits, plan, pass)
              var gB = gA
              record.backwardPasses += 1
              if kinks.contains(where: { $0 > 0 }) {
                s.compute.reseed(step: b, phase: 2)
                gB = net.replacingActivations(with: activationB).backward(forward, dLogits: dLogits, plan, pass)
                record.backwardPasses += 1
              }
              compared = s.comparison == .firstLayer ? ([gA[0]], [gB[0]]) : (gA, gB)
            }
          }
        }
        if record.kinksPerLayer.isEmpty { record.kinksPerLayer = Array(repeating: 0, count: kinks.count) }
        for (l, n) in kinks.enumerated() { record.kinksPerLayer[l] += n }
        if kinks.contains(where: { $0 > 0 }) { record.batchesWithKinks += 1 }
        guard var (gA, gB) = compared else { continue }  // no kink input: no difference possible
        if s.accumulateGradients {
          if let (sumA, sumB) = sums {
            gA = zip(sumA, gA).map { Self.add($0, $1) }
            gB = zip(sumB, gB).map { Self.add($0, $1) }
          }
          sums = (gA, gB)
        }
        let differs = !gradientsEqual(gA, gB)
        if s.recordBatches {
          record.batches.append(BatchRecord(
            index: b, kinks: kinks.reduce(0, +), differs: differs, gradientA: Norms.of(gA), gradientB: Norms.of(gB),
            difference: Norms.ofDifference(gA, gB)))
        }
        if differs {
          record.batchesDiffering += 1
          if record.firstDifference == nil {
            record.firstDifference = b
            record.difference = Norms.ofDifference(gA, gB)
            record.gradient = Norms.of(gA)
          }
          if record.causes != nil, let (net, pass) = mlpPass {
            for l in net.layers.indices where net.activates(after: l) {
              record.causes! = record.causes! + ZeroCause.classify(
                input: pass.inputs[l], weight: net.layers[l].weight, bias: net.layers[l].bias, output: pass.preActivations[l])
            }
          }
          if record.causes != nil, let (net, pass) = networkPass, let c = net.zeroCauses(pass) {
            record.causes! = record.causes! + c
          }
          if s.untilFirstDifference { break }
        }
      }
      return record
    }

    static func add<T: PrecisionScalar>(_ a: Tensor<T>, _ b: Tensor<T>) -> Tensor<T> {
      Tensor(shape: a.shape, storage: zip(a.storage, b.storage).map { $0 + $1 })
    }

    /// Forward and backward of one model (the two-network protocol).
    static func gradients<T: PrecisionScalar, Acc: PrecisionScalar>(
      _ model: inout StudyModel<T>, _ x: Tensor<T>, _ labels: [Int], _ plan: KernelPlan<Acc>, _ compute: ComputeSettings,
      step: Int, _ comparison: Comparison
    ) -> ([Tensor<T>], [Int]) {
      compute.reseed(step: step, phase: 0)
      switch model {
      case .mlp(let net):
        let pass = net.forward(x, plan)
        compute.reseed(step: step, phase: 1)
        let dLogits = SoftmaxCrossEntropy.lossAndGradient(logits: pass.logits, labels: labels).gradient
        compute.reseed(step: step, phase: 2)
        let g = net.backward(pass, dLogits: dLogits, plan, step: step)
        return (comparison == .firstLayer ? [g.weights[0]] : g.all, net.kinkCounts(pass))
      case .network(var net):
        let pass = Network<T>.Pass(training: true, step: step)
        let forward = net.forwardPass(x, plan, pass)
        model = .network(net)
        compute.reseed(step: step, phase: 1)
        let dLogits = SoftmaxCrossEntropy.lossAndGradient(logits: forward.logits, labels: labels).gradient
        compute.reseed(step: step, phase: 2)
        let g = net.backward(forward, dLogits: dLogits, plan, pass)
        return (comparison == .firstLayer ? [g[0]] : g, forward.kinks)
      }
    }

    /// Backprop of an MLP with two activations from one forward pass. Above the highest layer with a
    /// kink input both are the same computation, done once (not with stochastic rounding, where each
    /// alpha replays the whole backward pass from the same stream). With `firstLayerOnly`, only the
    /// first layer's weight gradient is formed; the other layers pass their input gradient down.
    /// Returns the compared gradients and the number of backward passes this cost (1 or 2).
    static func pairBackward<T: PrecisionScalar, Acc: PrecisionScalar>(
      _ net: MLP<T>, _ pass: MLP<T>.ForwardPass, _ dLogits: Tensor<T>, _ plan: KernelPlan<Acc>, _ compute: ComputeSettings,
      _ activationA: Activation, _ activationB: Activation, kinks: [Int], step: Int, firstLayerOnly: Bool
    ) -> ([Tensor<T>], [Tensor<T>], Int) {
      let hasKink = kinks.contains { $0 > 0 }
      if compute.rounding == .stochastic {
        compute.reseed(step: step, phase: 2)
        let gA = net.backward(pass, dLogits: dLogits, plan, step: step, activation: activationA)
        var gB = gA
        if hasKink {
          compute.reseed(step: step, phase: 2)
          gB = net.backward(pass, dLogits: dLogits, plan, step: step, activation: activationB)
        }
        return firstLayerOnly ? ([gA.weights[0]], [gB.weights[0]], hasKink ? 2 : 1) : (gA.all, gB.all, hasKink ? 2 : 1)
      }
      // Kink counts indexed by layer (only activated layers have one).
      var kinkAt = [Int](repeating: 0, count: net.layers.count)
      var k = 0
      for l in net.layers.indices where net.activates(after: l) {
        kinkAt[l] = kinks[k]
        k += 1
      }
      let empty = Tensor<T>(zeros: [0])
      var (weightsA, biasesA) = ([Tensor<T>](repeating: empty, count: net.layers.count), [Tensor<T>](repeating: empty, count: net.layers.count))
      var (weightsB, biasesB) = (weightsA, biasesA)
      var gradA = dLogits
      var gradB: Tensor<T>? = nil  // nil: the same as gradA
      for l in net.layers.indices.reversed() {
        let layer = net.layers[l]
        let wantParameters = !firstLayerOnly || l == 0
        var inputA: Tensor<T>? = nil, inputB: Tensor<T>? = nil
        if wantParameters {
          let r = layer.backward(input: pass.inputs[l], gradOut: gradA, needInput: l > 0, plan)
          (weightsA[l], biasesA[l], inputA) = (r.weight, r.bias, r.input)
          if let gB = gradB {
            let q = layer.backward(input: pass.inputs[l], gradOut: gB, needInput: l > 0, plan)
            (weightsB[l], biasesB[l], inputB) = (q.weight, q.bias, q.input)
          } else {
            (weightsB[l], biasesB[l]) = (r.weight, r.bias)
          }
        } else {
          inputA = layer.inputGradient(gradOut: gradA, plan)
          inputB = gradB.map { layer.inputGradient(gradOut: $0, plan) }
        }
        guard l > 0, let dA = inputA else { break }
        if net.activates(after: l - 1) {
          let pre = pass.preActivations[l - 1]
          if let dB = inputB {
            gradA = activationA.backward(pre, dA, layer: l - 1, step: step)
            gradB = activationB.backward(pre, dB, layer: l - 1, step: step)
          } else if kinkAt[l - 1] > 0 {
            gradA = activationA.backward(pre, dA, layer: l - 1, step: step)
            gradB = activationB.backward(pre, dA, layer: l - 1, step: step)
          } else {
            gradA = activationA.backward(pre, dA, layer: l - 1, step: step)
          }
        } else {
          gradA = dA
          gradB = inputB
        }
      }
      let passes = hasKink ? 2 : 1
      if firstLayerOnly { return ([weightsA[0]], [weightsB[0]], passes) }
      let allA = zip(weightsA, biasesA).flatMap { [$0, $1] }
      let allB = zip(weightsB, biasesB).flatMap { [$0, $1] }
      return (allA, allB, passes)
    }
  }
}
