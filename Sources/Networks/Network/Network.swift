import Scalars
import Tensors

/// A feed-forward network as a list of layers (micrograd-style: an obvious forward, an obvious
/// backward, nothing else): every model — the MLP, VGG, ResNet, with or without batch norm or
/// dropout — is one. The builders (`MLP`, `VGG`, `ResNet`, or a `ModelSpec`) lay the layers out;
/// `Network+Forward.swift` and `Network+Backward.swift` hold the two passes.
///
/// Parameters are named as in the equivalent PyTorch model's state_dict (`0.weight`, `features.0.weight`,
/// `layer1.0.conv1.weight`, …); batch-norm running statistics are buffers, not parameters.
public struct Network<T: PrecisionScalar>: Sendable {
  public var layers: [Layer<T>]

  public init(layers: [Layer<T>]) { self.layers = layers }

  /// Names of the trainable parameters, in forward order.
  public var parameterNames: [String] { Self.names(layers) }

  static func names(_ layers: [Layer<T>]) -> [String] {
    layers.flatMap { layer -> [String] in
      switch layer {
      case .linear(_, let name): return ["\(name).weight", "\(name).bias"]
      case .conv(let c, let name): return c.bias == nil ? ["\(name).weight"] : ["\(name).weight", "\(name).bias"]
      case .batchNorm(_, let name): return ["\(name).weight", "\(name).bias"]
      case .residual(let main, let shortcut): return names(main) + names(shortcut)
      case .activation, .maxPool, .avgPool, .flatten, .dropout: return []
      }
    }
  }

  /// The trainable parameters in `parameterNames` order.
  public var parameters: [Tensor<T>] {
    get { Self.parameters(layers) }
    set {
      var index = 0
      Self.setParameters(&layers, newValue, &index)
      precondition(index == newValue.count, "\(newValue.count) tensors for \(index) parameters")
    }
  }

  static func parameters(_ layers: [Layer<T>]) -> [Tensor<T>] {
    layers.flatMap { layer -> [Tensor<T>] in
      switch layer {
      case .linear(let l, _): return [l.weight, l.bias]
      case .conv(let c, _): return [c.weight] + (c.bias.map { [$0] } ?? [])
      case .batchNorm(let b, _): return [b.gamma, b.beta]
      case .residual(let main, let shortcut): return parameters(main) + parameters(shortcut)
      case .activation, .maxPool, .avgPool, .flatten, .dropout: return []
      }
    }
  }

  static func setParameters(_ layers: inout [Layer<T>], _ values: [Tensor<T>], _ index: inout Int) {
    func next(_ like: Tensor<T>) -> Tensor<T> {
      precondition(index < values.count && values[index].shape == like.shape, "parameter \(index): expected shape \(like.shape)")
      defer { index += 1 }
      return values[index]
    }
    for k in layers.indices {
      switch layers[k] {
      case .linear(var l, let name):
        l.weight = next(l.weight); l.bias = next(l.bias)
        layers[k] = .linear(l, name: name)
      case .conv(var c, let name):
        c.weight = next(c.weight)
        if let b = c.bias { c.bias = next(b) }
        layers[k] = .conv(c, name: name)
      case .batchNorm(var b, let name):
        b.gamma = next(b.gamma); b.beta = next(b.beta)
        layers[k] = .batchNorm(b, name: name)
      case .residual(var main, var shortcut):
        setParameters(&main, values, &index)
        setParameters(&shortcut, values, &index)
        layers[k] = .residual(main: main, shortcut: shortcut)
      case .activation, .maxPool, .avgPool, .flatten, .dropout: break
      }
    }
  }

  /// Batch-norm running means and variances (buffers, not parameters), in forward order.
  public var buffers: [Tensor<T>] {
    get { Self.buffers(layers) }
    set {
      var index = 0
      Self.setBuffers(&layers, newValue, &index)
      precondition(index == newValue.count, "\(newValue.count) tensors for \(index) buffers")
    }
  }

  static func buffers(_ layers: [Layer<T>]) -> [Tensor<T>] {
    layers.flatMap { layer -> [Tensor<T>] in
      switch layer {
      case .batchNorm(let b, _): return [b.runningMean, b.runningVariance]
      case .residual(let main, let shortcut): return buffers(main) + buffers(shortcut)
      case .linear, .conv, .activation, .maxPool, .avgPool, .flatten, .dropout: return []
      }
    }
  }

  static func setBuffers(_ layers: inout [Layer<T>], _ values: [Tensor<T>], _ index: inout Int) {
    for k in layers.indices {
      switch layers[k] {
      case .batchNorm(var b, let name):
        precondition(index + 1 < values.count && values[index].shape == b.runningMean.shape, "buffer \(index): shape")
        b.runningMean = values[index]; b.runningVariance = values[index + 1]
        index += 2
        layers[k] = .batchNorm(b, name: name)
      case .residual(var main, var shortcut):
        setBuffers(&main, values, &index)
        setBuffers(&shortcut, values, &index)
        layers[k] = .residual(main: main, shortcut: shortcut)
      case .linear, .conv, .activation, .maxPool, .avgPool, .flatten, .dropout: break
      }
    }
  }

  /// The same network with every parameter and buffer converted into another format.
  public func converted<U: PrecisionScalar>(to _: U.Type) -> Network<U> {
    func convert(_ layers: [Layer<T>]) -> [Layer<U>] {
      layers.map { layer -> Layer<U> in
        switch layer {
        case .linear(let l, let name):
          return .linear(Linear(weight: l.weight.converted(to: U.self), bias: l.bias.converted(to: U.self)), name: name)
        case .conv(let c, let name):
          return .conv(Conv2d(weight: c.weight.converted(to: U.self), bias: c.bias?.converted(to: U.self), stride: c.stride, padding: c.padding), name: name)
        case .batchNorm(let b, let name):
          var n = BatchNorm<U>(channels: b.channels)
          n.gamma = b.gamma.converted(to: U.self); n.beta = b.beta.converted(to: U.self)
          n.runningMean = b.runningMean.converted(to: U.self); n.runningVariance = b.runningVariance.converted(to: U.self)
          n.epsilon = b.epsilon; n.momentum = b.momentum
          return .batchNorm(n, name: name)
        case .activation(let a): return .activation(a)
        case .maxPool(let p): return .maxPool(p)
        case .avgPool(let p): return .avgPool(p)
        case .flatten: return .flatten
        case .dropout(let d): return .dropout(d)
        case .residual(let main, let shortcut): return .residual(main: convert(main), shortcut: convert(shortcut))
        }
      }
    }
    return Network<U>(layers: convert(layers))
  }

  /// The same network with every activation replaced (same forward, other kink derivatives).
  public func replacingActivations(with activation: Activation) -> Network {
    func replace(_ layers: [Layer<T>]) -> [Layer<T>] {
      layers.map { layer in
        switch layer {
        case .activation: return .activation(activation)
        case .residual(let main, let shortcut): return .residual(main: replace(main), shortcut: replace(shortcut))
        case .linear, .conv, .batchNorm, .maxPool, .avgPool, .flatten, .dropout: return layer
        }
      }
    }
    return Network(layers: replace(layers))
  }
}
