import Scalars
import Tensors

/// A network's architecture without its parameters: what the model builders describe, what
/// `materialize` turns into layers by drawing the initial parameters in forward order.
public indirect enum LayerSpec: Sendable {
  public enum ConvInit: Sendable, Hashable { case pytorchDefault, kaimingNormalFanOut }

  case linear(inputs: Int, outputs: Int, name: String)
  case conv(inputs: Int, outputs: Int, kernel: Int, stride: Int, padding: Int, bias: Bool, initialization: ConvInit, name: String)
  case batchNorm(channels: Int, name: String)
  case activation(Activation)
  case gelu(GELU)
  case maxPool(MaxPool2d)
  case avgPool(AvgPool2d)
  case flatten
  case dropout(Dropout)
  case residual(main: [LayerSpec], shortcut: [LayerSpec])

  /// ReLU with ReLU'(0) = `alpha` (the builders' default activation).
  public static func relu(_ alpha: Double = 0) -> LayerSpec { .activation(.relu(alpha)) }

  /// Shapes of the trainable parameters, in `Network.parameterNames` order.
  public static func parameterShapes(_ specs: [LayerSpec]) -> [[Int]] {
    specs.flatMap { spec -> [[Int]] in
      switch spec {
      case .linear(let i, let o, _): return [[o, i], [o]]
      case .conv(let i, let o, let k, _, _, let bias, _, _): return [[o, i, k, k]] + (bias ? [[o]] : [])
      case .batchNorm(let c, _): return [[c], [c]]
      case .residual(let main, let shortcut): return parameterShapes(main) + parameterShapes(shortcut)
      case .activation, .gelu, .maxPool, .avgPool, .flatten, .dropout: return []
      }
    }
  }

  /// Layers with parameters drawn from `initializer` in forward order (see `Initializer`).
  public static func materialize<T: PrecisionScalar>(_ specs: [LayerSpec], _ initializer: inout Initializer, as _: T.Type) -> [Layer<T>] {
    specs.map { spec -> Layer<T> in
      switch spec {
      case .linear(let i, let o, let name): return .linear(initializer.linear(inputs: i, outputs: o, as: T.self), name: name)
      case .conv(let i, let o, let k, let s, let p, let bias, let initialization, let name):
        switch initialization {
        case .pytorchDefault:
          return .conv(initializer.conv2d(inputs: i, outputs: o, kernel: k, stride: s, padding: p, bias: bias, as: T.self), name: name)
        case .kaimingNormalFanOut:
          precondition(!bias, "kaiming_normal convolutions have no bias here")
          return .conv(initializer.kaimingNormalConv2d(inputs: i, outputs: o, kernel: k, stride: s, padding: p, as: T.self), name: name)
        }
      case .batchNorm(let c, let name): return .batchNorm(BatchNorm(channels: c), name: name)
      case .activation(let a): return .activation(a)
      case .gelu(let g): return .gelu(g)
      case .maxPool(let m): return .maxPool(m)
      case .avgPool(let a): return .avgPool(a)
      case .flatten: return .flatten
      case .dropout(let d): return .dropout(d)
      case .residual(let main, let shortcut):
        let m: [Layer<T>] = materialize(main, &initializer, as: T.self)
        let s: [Layer<T>] = materialize(shortcut, &initializer, as: T.self)
        return .residual(main: m, shortcut: s)
      }
    }
  }
}
