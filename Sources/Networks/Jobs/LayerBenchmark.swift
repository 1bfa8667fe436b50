import Scalars
import Tensors

/// Timing of one layer on its own, forward and backward, specialised inside this module for every
/// format (the benchmark executable calls it): the per-layer rows beside PyTorch's, so that a slow
/// layer shows up even when a whole network's time hides it.
public enum LayerBenchmark {
  /// The layer kinds the networks are built from, each at the shape and settings the bench times it.
  public enum Kind: String, CaseIterable, Sendable {
    /// 3×3 convolution with bias, padding 1, 64 to 64 channels (VGG11's second block, in width).
    case conv = "conv 3×3"
    /// Training-mode batch normalisation (batch statistics).
    case batchNorm = "batch norm"
    /// ReLU, ReLU'(0) = 0.
    case relu
    /// Leaky ReLU, slope 0.01 (`--activation leaky-relu`), derivative 0.01 at 0 as PyTorch's.
    case leakyReLU = "leaky relu 0.01"
    /// ReLU6 (`--activation relu6`), derivative 0 at both kinks as PyTorch's.
    case relu6
    /// GELU, exact form (`--activation gelu`): binary64 evaluation rounded once.
    case gelu
    /// VGG's pool: 2×2, stride 2.
    case maxPool = "max pool 2×2"
    /// ResNet's stem pool: 3×3, stride 2, padding 1 (overlapping windows).
    case stemMaxPool = "max pool 3×3/2 pad 1"
    /// Global average pooling (ResNet's head).
    case avgPool = "global avg pool"
    /// Inverted dropout, p = 0.5, training.
    case dropout = "dropout 0.5"
    /// Dense layer, 4096 to 1024.
    case linear = "linear 4096→1024"

    /// The input's shape for a batch of `batch`: [batch, 64, 32, 32] for the layers of a convolutional
    /// network's first blocks, [batch, 512, 4, 4] for the global pool, flat for the dense layers.
    public func inputShape(batch: Int) -> [Int] {
      switch self {
      case .avgPool: return [batch, 512, 4, 4]
      case .dropout: return [batch, 64 * 32 * 32]
      case .linear: return [batch, 4096]
      case .conv, .batchNorm, .relu, .leakyReLU, .relu6, .gelu, .maxPool, .stemMaxPool: return [batch, 64, 32, 32]
      }
    }
  }

  /// Best wall-clock seconds of `repeats` forward passes and of `repeats` backward passes of one layer
  /// of `kind` (for parameterised layers the backward forms the input gradient and every parameter's),
  /// on inputs drawn once: uniform in [−1, 1) with about 10% exact zeros, and a gradient from above
  /// uniform in [−1, 1). `normalizeInStorage` selects batch norm's arithmetic in the storage format
  /// (`--batch-norm-arithmetic storage`).
  public static func time(
    _ kind: Kind, batch: Int, format: FloatFormat, accumulate: AccumulationChoice = .same, normalizeInStorage: Bool = false,
    threads: Int = 1, repeats: Int = 3
  ) throws -> (forward: Double, backward: Double) {
    var plan = KernelPlan(accumulate: accumulate, threads: threads)
    plan.normalizeInStorage = normalizeInStorage
    return try ScalarDispatch.visit(format: format, rounding: .nearestEven, Timing(kind: kind, batch: batch, plan: plan, repeats: repeats))
  }

  struct Timing: ScalarVisitor {
    let kind: Kind
    let batch: Int
    let plan: KernelPlan
    let repeats: Int

    func visit<T: PrecisionScalar>(storage _: T.Type) throws -> (forward: Double, backward: Double) {
      var initializer = Initializer(seed: 3)
      func tensor(_ shape: [Int], zeros: Bool) -> Tensor<T> {
        Tensor(shape: shape, doubles: (0..<shape.reduce(1, *)).map { _ in
          let u = initializer.uniformUnit()
          return zeros && u < 0.1 ? 0 : 2 * u - 1
        })
      }
      let shape = kind.inputShape(batch: batch)
      let x = tensor(shape, zeros: true)
      func layerTimes(_ forward: () -> Tensor<T>, _ backward: (Tensor<T>) -> Void) -> (forward: Double, backward: Double) {
        let y = forward()
        let gradOut = tensor(y.shape, zeros: false)
        return (Stopwatch.best(repeats: repeats) { withExtendedLifetime(forward()) {} }, Stopwatch.best(repeats: repeats) { backward(gradOut) })
      }
      switch kind {
      case .conv:
        let conv = Conv2d<T>(weight: tensor([64, 64, 3, 3], zeros: false), bias: tensor([64], zeros: false), padding: 1)
        return layerTimes({ conv.forward(x, plan) }) { g in
          withExtendedLifetime((conv.parameterGradients(input: x, gradOut: g, plan), conv.inputGradient(inputShape: shape, gradOut: g, plan))) {}
        }
      case .batchNorm:
        var norm = BatchNorm<T>(channels: shape[1])
        let cache = norm.forward(x, training: true, plan).1!
        return layerTimes({ norm.forward(x, training: true, plan).0 }) { g in withExtendedLifetime(norm.backward(cache, gradOut: g, plan)) {} }
      case .relu, .leakyReLU, .relu6:
        let kind: ActivationKind = kind == .relu ? .relu : kind == .relu6 ? .relu6 : .leakyReLU(slope: 0.01)
        let activation = kind.activation(kink: kind == .leakyReLU(slope: 0.01) ? 0.01 : 0, rule: .scale)!
        return layerTimes({ activation.forward(x) }) { g in withExtendedLifetime(activation.backward(x, g)) {} }
      case .gelu:
        return layerTimes({ GELU().forward(x) }) { g in withExtendedLifetime(GELU().backward(x, g)) {} }
      case .maxPool, .stemMaxPool:
        let pool = kind == .maxPool ? MaxPool2d(kernel: 2) : MaxPool2d(kernel: 3, stride: 2, padding: 1)
        return layerTimes({ pool.forward(x) }) { g in withExtendedLifetime(pool.backward(input: x, gradOut: g)) {} }
      case .avgPool:
        let pool = AvgPool2d.global
        return layerTimes({ pool.forward(x, plan) }) { g in withExtendedLifetime(pool.backward(inputShape: shape, gradOut: g)) {} }
      case .dropout:
        let dropout = Dropout(probability: 0.5, seed: 1)
        return layerTimes({ dropout.forward(x, layer: 0, step: 0) }) { g in withExtendedLifetime(dropout.backward(g, layer: 0, step: 0)) {} }
      case .linear:
        let dense = Linear<T>(weight: tensor([1024, 4096], zeros: false), bias: tensor([1024], zeros: false))
        return layerTimes({ dense.forward(x, plan) }) { g in
          withExtendedLifetime((dense.parameterGradients(input: x, gradOut: g, plan), dense.inputGradient(gradOut: g, plan))) {}
        }
      }
    }
  }
}
