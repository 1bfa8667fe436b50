import Scalars
import Tensors

/// One step of a network. Parameterised layers carry their PyTorch state_dict prefix.
public indirect enum Layer<T: PrecisionScalar>: Sendable {
  case linear(Linear<T>, name: String)
  case conv(Conv2d<T>, name: String)
  case batchNorm(BatchNorm<T>, name: String)
  case activation(Activation)
  case maxPool(MaxPool2d)
  case avgPool(AvgPool2d)
  case flatten
  case dropout(Dropout)
  /// y = main(x) + shortcut(x) (an empty shortcut is the identity), one rounded addition per element.
  case residual(main: [Layer<T>], shortcut: [Layer<T>])

  /// How many trainable parameter tensors the layer holds (its sub-layers' for a residual block).
  public var parameterCount: Int {
    switch self {
    case .linear: return 2
    case .conv(let c, _): return c.bias == nil ? 1 : 2
    case .batchNorm: return 2
    case .residual(let main, let shortcut): return Self.parameterCount(main) + Self.parameterCount(shortcut)
    case .activation, .maxPool, .avgPool, .flatten, .dropout: return 0
    }
  }

  /// The parameter tensors of a list of layers.
  public static func parameterCount(_ layers: some Collection<Layer<T>>) -> Int { layers.reduce(0) { $0 + $1.parameterCount } }
}
