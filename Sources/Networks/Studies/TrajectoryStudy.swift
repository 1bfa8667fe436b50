import Datasets
import Scalars
import Tensors

/// The flagship paper's introduction experiment: three copies of one MLP θ trained by plain SGD on the
/// same batches, with ReLU'(0) = `alphas.0`, `alphas.1` and `alphas.1` again (1, 0, 0 in the paper).
/// Per iteration: the L1 distance between the first two copies' parameters (the kink's effect) and
/// between the last two (the run-to-run noise of the computation itself: zero when it is
/// deterministic), and the smallest |pre-activation| of the first layer of the first two copies.
public struct TrajectoryStudy: Sendable {
  public var widths: [Int]
  public var activateFirstLayer = true
  public var compute: ComputeSettings
  public var alphas: (Double, Double) = (1, 0)
  public var kinkRule: KinkRule = .scale
  /// The activation of the three copies, each with its own derivative at the kinks.
  public var activation: ActivationKind = .relu
  public var learningRate: Double
  public var feed: BatchFeed
  /// Iterations (passes over the feed's batches as needed).
  public var iterations: Int
  public var seed: UInt64

  public init(widths: [Int], compute: ComputeSettings, learningRate: Double, feed: BatchFeed, iterations: Int, seed: UInt64) {
    self.widths = widths
    self.compute = compute
    self.learningRate = learningRate
    self.feed = feed
    self.iterations = iterations
    self.seed = seed
  }

  public struct Iteration: Sendable, Hashable {
    public var iteration: Int
    /// ‖θ(alphas.0) − θ(alphas.1)‖₁ after this iteration's update (binary64 differences).
    public var distanceAcrossAlphas: Double
    /// ‖θ(alphas.1) − θ'(alphas.1)‖₁: two copies with the same alpha.
    public var distanceSameAlpha: Double
    /// min |z| over the first layer's pre-activations of this iteration's batch, per copy 0 and 1.
    public var smallestPreActivation: (Double, Double)
    /// Exact zeros among those pre-activations, per copy 0 and 1.
    public var zeros: (Int, Int)

    public static func == (a: Iteration, b: Iteration) -> Bool {
      a.iteration == b.iteration && a.distanceAcrossAlphas == b.distanceAcrossAlphas && a.distanceSameAlpha == b.distanceSameAlpha
        && a.smallestPreActivation == b.smallestPreActivation && a.zeros == b.zeros
    }
    public func hash(into h: inout Hasher) { h.combine(iteration); h.combine(distanceAcrossAlphas) }
  }

  public func run(report: @escaping (Iteration) -> Void) throws {
    try compute.run(Visitor(study: self, report: report))
  }

  struct Visitor: ScalarVisitor {
    let study: TrajectoryStudy
    let report: (Iteration) -> Void

    func visit<T: PrecisionScalar>(storage _: T.Type) throws {
      let s = study
      let plan = s.compute.plan
      let alphas = [s.alphas.0, s.alphas.1, s.alphas.1]
      let model = ModelSpec.mlp(widths: s.widths, activateFirstLayer: s.activateFirstLayer)
      var copies: [Network<T>] = alphas.map { model.make(activation: s.activation.layer(kink: $0, rule: s.kinkRule), seed: s.seed) }
      var optimizers = copies.map { _ in Optimizer<T>(.sgd(), learningRate: s.learningRate) }
      let batches = s.feed.batchCount
      for t in 0..<s.iterations {
        let epoch = t / batches, b = t % batches
        let (x, labels) = s.feed.batch(b, of: s.feed.order(epoch: epoch), step: t, as: T.self)
        var smallest = [Double](), zeros = [Int]()
        for c in copies.indices {
          s.compute.reseed(step: t, phase: 0)
          let pass = Network<T>.Pass(training: true, step: t)
          let forward = copies[c].forwardPass(x.reshaped([labels.count] + model.input), plan, pass)
          s.compute.reseed(step: t, phase: 1)
          let dLogits = SoftmaxCrossEntropy.lossAndGradient(logits: forward.logits, labels: labels).gradient
          s.compute.reseed(step: t, phase: 2)
          let g = copies[c].backward(forward, dLogits: dLogits, plan, pass)
          let first = copies[c].output(ofLayer: 0, forward).storage
          smallest.append(first.reduce(Double.infinity) { Swift.min($0, Swift.abs($1.doubleValue)) })
          zeros.append(first.reduce(0) { $0 + ($1.isZero ? 1 : 0) })
          var p = copies[c].parameters
          s.compute.reseed(step: t, phase: 3)
          optimizers[c].step(&p, g)
          copies[c].parameters = p
        }
        report(Iteration(
          iteration: t + 1,
          distanceAcrossAlphas: Norms.ofDifference(copies[0].parameters, copies[1].parameters).l1,
          distanceSameAlpha: Norms.ofDifference(copies[1].parameters, copies[2].parameters).l1,
          smallestPreActivation: (smallest[0], smallest[1]), zeros: (zeros[0], zeros[1])))
      }
    }
  }
}
