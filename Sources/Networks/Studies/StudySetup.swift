import Datasets
import Scalars
import Tensors

/// How a study computes: storage format, accumulation, rounding, summation order, threads. Every
/// study runs inside `run`, which sets the rounding mode (and the MPFR format) on the calling thread
/// and dispatches to the concrete scalar types, so the generic loops are specialised in this module.
public struct ComputeSettings: Sendable, Hashable {
  public var format: FloatFormat
  public var accumulate: AccumulationChoice = .same
  public var rounding: RoundingMode = .nearestEven
  /// Seed of the stochastic-rounding streams (each batch and phase reseeds from it, see the studies).
  public var roundingSeed: UInt64 = 0
  public var options = KernelOptions()
  /// Threads inside the kernels (never changes a result).
  public var threads = 1

  public init(format: FloatFormat, accumulate: AccumulationChoice = .same, rounding: RoundingMode = .nearestEven) {
    self.format = format
    self.accumulate = accumulate
    self.rounding = rounding
  }

  func run<V: ScalarVisitor>(_ visitor: V) throws -> V.Result {
    try RoundingEnvironment.with(rounding, seed: roundingSeed) {
      try ScalarDispatch.visit(format: format, accumulate: accumulate, rounding: rounding, visitor)
    }
  }

  /// Reseeds the stochastic stream for one phase of one step, so that a phase draws the same bits
  /// whatever ran before it (both kink derivatives see common random numbers).
  func reseed(step: Int, phase: Int) {
    guard rounding == .stochastic else { return }
    RoundingEnvironment.seed(roundingSeed, stream: UInt64(step) &* 8 &+ UInt64(phase))
  }
}

/// Mini-batches for a study: a labelled set, its preprocessing and the batch order, optionally cut to
/// the first `maxBatches` batches. With `shuffleSeed`, epoch e uses the shuffle seeded by
/// `shuffleSeed + e`; otherwise file order.
public struct BatchFeed: Sendable {
  public var data: LabeledImages
  public var preprocessing: Preprocessing
  public var batchSize: Int
  public var shuffleSeed: UInt64?
  public var dropLast: Bool
  public var maxBatches: Int?

  public init(
    data: LabeledImages, preprocessing: Preprocessing = Preprocessing(), batchSize: Int, shuffleSeed: UInt64? = nil,
    dropLast: Bool = false, maxBatches: Int? = nil
  ) {
    precondition(batchSize >= 1, "batch size must be at least 1")
    self.data = data
    self.preprocessing = preprocessing
    self.batchSize = batchSize
    self.shuffleSeed = shuffleSeed
    self.dropLast = dropLast
    self.maxBatches = maxBatches
  }

  public func order(epoch: Int) -> BatchOrder {
    BatchOrder(count: data.count, batchSize: batchSize, shuffleSeed: shuffleSeed.map { $0 &+ UInt64(epoch) }, dropLast: dropLast)
  }

  /// Batches per epoch (after `maxBatches`).
  public var batchCount: Int { min(order(epoch: 0).batchCount, maxBatches ?? .max) }

  /// Batch `b` of `order`, rounded once into `T`; `step` keys the random crops and flips.
  @inlinable
  public func batch<T: PrecisionScalar>(_ b: Int, of order: BatchOrder, step: Int, as _: T.Type) -> (Tensor<T>, [Int]) {
    preprocessing.batch(data, indices: order.indices(ofBatch: b), step: step, as: T.self)
  }
}

/// A model of a study in one scalar type: the plain MLP, or a general network (MLP with batch norm or
/// dropout, VGG, ResNet), with the few operations the studies need.
public enum StudyModel<T: PrecisionScalar>: Sendable {
  case mlp(MLP<T>)
  case network(Network<T>)

  /// A fresh PyTorch-default initialisation from `seed` (drawn in binary32, as PyTorch draws).
  public static func make(_ model: GradientJob.Model, activation: Activation, seed: UInt64, dropoutSeed: UInt64 = 0) -> StudyModel {
    switch model {
    case .mlp(let widths, let first, let batchNorm, let dropout):
      if batchNorm || dropout != nil {
        var initializer = Initializer(seed: seed)
        let specs = MLP<T>.layout(widths: widths, activation: activation, activateFirstLayer: first, batchNorm: batchNorm, dropout: dropout, dropoutSeed: dropoutSeed)
        return .network(Network(layers: LayerSpec.materialize(specs, &initializer, as: T.self)))
      }
      return .mlp(MLP.pytorchDefault(widths: widths, seed: seed, activation: activation, activateFirstLayer: first))
    case .vgg(let config, let shape, let classes, let bn, let width):
      return .network(VGG.make(config, input: shape, classes: classes, batchNorm: bn, widthMultiplier: width, activation: activation, seed: seed, as: T.self))
    case .resnet(let blocks, let shape, let classes, let bn, let width, let stem):
      return .network(ResNet.make(blocks: blocks, input: shape, classes: classes, batchNorm: bn, widthMultiplier: width, stemMaxPool: stem, activation: activation, seed: seed, as: T.self))
    }
  }

  public var parameters: [Tensor<T>] {
    get {
      switch self {
      case .mlp(let m): return m.parameters
      case .network(let n): return n.parameters
      }
    }
    set {
      switch self {
      case .mlp(var m): m.parameters = newValue; self = .mlp(m)
      case .network(var n): n.parameters = newValue; self = .network(n)
      }
    }
  }

  public var parameterNames: [String] {
    switch self {
    case .mlp(let m): return m.parameterNames
    case .network(let n): return n.parameterNames
    }
  }

  /// The input shape of one sample.
  public static func sampleShape(_ model: GradientJob.Model) -> [Int] {
    switch model {
    case .mlp(let widths, _, _, _): return [widths[0]]
    case .vgg(_, let shape, _, _, _), .resnet(_, let shape, _, _, _, _): return shape
    }
  }
}

/// Sums of magnitudes of a list of tensors, in binary64.
public struct Norms: Sendable, Hashable {
  public var l1 = 0.0
  public var l2 = 0.0

  public init(l1: Double = 0, l2: Double = 0) {
    self.l1 = l1
    self.l2 = l2
  }

  /// ‖a‖₁ and ‖a‖₂ of the elements (each converted to binary64; sums in binary64, in order).
  public static func of<T: PrecisionScalar>(_ tensors: [Tensor<T>]) -> Norms {
    var l1 = 0.0, squares = 0.0
    for t in tensors {
      for v in t.storage {
        let d = v.doubleValue
        l1 += Swift.abs(d)
        squares += d * d
      }
    }
    return Norms(l1: l1, l2: squares.squareRoot())
  }

  /// ‖a − b‖₁ and ‖a − b‖₂, each difference computed in binary64.
  public static func ofDifference<T: PrecisionScalar>(_ a: [Tensor<T>], _ b: [Tensor<T>]) -> Norms {
    var l1 = 0.0, squares = 0.0
    for (x, y) in zip(a, b) {
      for (u, v) in zip(x.storage, y.storage) {
        let d = u.doubleValue - v.doubleValue
        l1 += Swift.abs(d)
        squares += d * d
      }
    }
    return Norms(l1: l1, l2: squares.squareRoot())
  }
}

/// Whether two gradient lists are equal element by element as `torch.equal` compares them: numeric
/// equality, so −0 equals +0; NaN equals NaN here (a NaN gradient in both copies is no difference).
public func gradientsEqual<T: PrecisionScalar>(_ a: [Tensor<T>], _ b: [Tensor<T>]) -> Bool {
  for (x, y) in zip(a, b) {
    precondition(x.shape == y.shape, "comparing gradients of shapes \(x.shape) and \(y.shape)")
    for (u, v) in zip(x.storage, y.storage) where !(u == v || (u.isNaN && v.isNaN)) { return false }
  }
  return true
}

extension Network {
  /// The number of inputs of each activation layer in a forward pass, in forward order (matching
  /// `ForwardPass.kinks`).
  public func activationInputCounts(_ forward: ForwardPass) -> [Int] {
    Self.activationInputCounts(layers, forward.caches)
  }

  static func activationInputCounts(_ layers: [Layer<T>], _ caches: [Cache]) -> [Int] {
    var counts: [Int] = []
    for (layer, cache) in zip(layers, caches) {
      switch (layer, cache) {
      case (.activation, .input(let h)): counts.append(h.count)
      case (.residual(let main, let shortcut), .residual(let mc, let sc)):
        counts += activationInputCounts(main, mc) + activationInputCounts(shortcut, sc)
      default: break
      }
    }
    return counts
  }
}
