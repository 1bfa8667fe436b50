import Scalars
import Tensors

/// One step of a network. Parameterised layers carry their PyTorch state_dict prefix. Each case's layer
/// is a `NetworkLayer` (a parameter-free one through `ParameterFree`); `open` and `modify` are the only
/// switches over the cases, so a new case is named by the compiler in exactly these two places.
public indirect enum Layer<T: PrecisionScalar>: Sendable {
  case linear(Linear<T>, name: String)
  case conv(Conv2d<T>, name: String)
  case batchNorm(BatchNorm<T>, name: String)
  case activation(Activation)
  case gelu(GELU)
  case maxPool(MaxPool2d)
  case avgPool(AvgPool2d)
  case flatten
  case dropout(Dropout)
  /// y = main(x) + shortcut(x) (an empty shortcut is the identity), one rounded addition per element.
  case residual(main: [Layer<T>], shortcut: [Layer<T>])

  /// Calls `visitor` with the case's layer as its own type (a parameter-free layer as `ParameterFree`).
  func open<V: LayerVisitor<T>>(_ visitor: inout V) -> V.Result {
    var copy = self
    return copy.modify(&visitor)
  }

  /// Calls `visitor` with the case's layer as its own type, and stores what the visitor left in it.
  mutating func modify<V: LayerVisitor<T>>(_ visitor: inout V) -> V.Result {
    func free<L: ParameterFreeLayer>(_ layer: L, _ store: (L) -> Layer<T>) -> V.Result {
      var wrapped = ParameterFree<L, T>(wrapped: layer)
      defer { self = store(wrapped.wrapped) }
      return visitor.visit(&wrapped, name: "")
    }
    switch self {
    case .linear(var layer, let name):
      defer { self = .linear(layer, name: name) }
      return visitor.visit(&layer, name: name)
    case .conv(var layer, let name):
      defer { self = .conv(layer, name: name) }
      return visitor.visit(&layer, name: name)
    case .batchNorm(var layer, let name):
      defer { self = .batchNorm(layer, name: name) }
      return visitor.visit(&layer, name: name)
    case .residual(let main, let shortcut):
      var block = Residual(main: main, shortcut: shortcut)
      defer { self = .residual(main: block.main, shortcut: block.shortcut) }
      return visitor.visit(&block, name: "")
    case .activation(let a): return free(a) { .activation($0) }
    case .gelu(let g): return free(g) { .gelu($0) }
    case .maxPool(let p): return free(p) { .maxPool($0) }
    case .avgPool(let p): return free(p) { .avgPool($0) }
    case .flatten: return free(Flatten()) { _ in .flatten }
    case .dropout(let d): return free(d) { .dropout($0) }
    }
  }

  /// How many trainable parameter tensors the layer holds (its sub-layers' for a residual block).
  public var parameterCount: Int {
    var v = Network<T>.ParameterCount()
    return open(&v)
  }

  /// The parameter tensors of a list of layers.
  public static func parameterCount(_ layers: some Collection<Layer<T>>) -> Int { layers.reduce(0) { $0 + $1.parameterCount } }
}
