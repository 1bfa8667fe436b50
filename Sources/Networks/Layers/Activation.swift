import Scalars
import Tensors

/// An elementwise activation with an explicit derivative at its kinks.
///
/// Forward values are exact in every format (max, min, and for LeakyReLU one rounded product), with
/// PyTorch's CPU semantics at the edges: a NaN input gives NaN (so a NaN is never hidden as a 0), and
/// ReLU(−0) = −0, ReLU6(−0) = −0.
/// Backward: where the input is away from the kinks, grad_in = f'(x) × grad_out (exact for the 0/1
/// derivatives, rounded for a slope); at a kink, per `rule`.
public enum Activation: Sendable, Hashable, CustomStringConvertible {
  case identity
  /// max(x, 0); ReLU'(0) = alpha.
  case relu(alpha: KinkDerivative, rule: KinkRule)
  /// min(max(x, 0), 6); derivative alpha at 0 and beta at 6.
  case relu6(alpha: KinkDerivative, beta: KinkDerivative, rule: KinkRule)
  /// x for x > 0, slope·x otherwise; derivative `atZero` at 0.
  case leakyReLU(slope: Double, atZero: KinkDerivative, rule: KinkRule)

  public static func relu(_ alpha: Double = 0, rule: KinkRule = .scale) -> Activation {
    .relu(alpha: .constant(alpha), rule: rule)
  }

  public var description: String {
    switch self {
    case .identity: return "identity"
    case .relu(let a, let r): return "relu(alpha \(a), \(r.rawValue) rule)"
    case .relu6(let a, let b, let r): return "relu6(alpha \(a), beta \(b), \(r.rawValue) rule)"
    case .leakyReLU(let s, let a, let r): return "leaky-relu(slope \(s), at 0 \(a), \(r.rawValue) rule)"
    }
  }

  /// Forward values.
  public func forward<T: PrecisionScalar>(_ x: Tensor<T>) -> Tensor<T> {
    let zero = T(0), six = T(6)
    switch self {
    case .identity: return x
    case .relu: return Tensor(shape: x.shape, storage: x.storage.map { $0 < zero ? zero : $0 })
    case .relu6: return Tensor(shape: x.shape, storage: x.storage.map { $0 < zero ? zero : ($0 > six ? six : $0) })
    case .leakyReLU(let slope, _, _):
      let s = T(slope)
      return Tensor(shape: x.shape, storage: x.storage.map { $0 > zero ? $0 : $0 * s })
    }
  }

  /// grad_in from the forward input `x` and grad_out; `layer` and `step` key random kink draws.
  public func backward<T: PrecisionScalar>(
    _ x: Tensor<T>, _ gradOut: Tensor<T>, layer: Int = 0, step: Int = 0
  ) -> Tensor<T> {
    precondition(x.shape == gradOut.shape, "activation backward: shapes \(x.shape) and \(gradOut.shape)")
    let zero = T(0), six = T(6), count = x.count
    func atKink(_ d: KinkDerivative, _ rule: KinkRule, _ g: T, _ i: Int) -> T {
      let alpha = T(d.value(layer: layer, step: step, element: i))
      return rule == .paper ? alpha : alpha * g
    }
    let out = [T](unsafeUninitializedCapacity: count) { out, initialized in
      x.storage.withUnsafeBufferPointer { xp in
        gradOut.storage.withUnsafeBufferPointer { gp in
          let o = out.baseAddress!
          switch self {
          case .identity:
            for i in 0..<count { (o + i).initialize(to: gp[i]) }
          case .relu(.constant(let a), let rule) where RoundingEnvironment.mode != .stochastic:
            // α rounded once (per kink it would draw from a stochastic stream each time: the case
            // below). Away from 0 a select; the kinks and NaNs, rare, take the branch.
            let alpha = T(a), nan = T(Double.nan), paper = rule == .paper
            for i in 0..<count {
              let v = xp[i], g = gp[i]
              var r = v > zero ? g : zero
              if !(v > zero || v < zero) { r = v.isZero ? (paper ? alpha : alpha * g) : nan }
              (o + i).initialize(to: r)
            }
          case .relu(let alpha, let rule):
            for i in 0..<count {
              let v = xp[i]
              (o + i).initialize(to: v > zero ? gp[i] : (v < zero ? zero : (v.isZero ? atKink(alpha, rule, gp[i], i) : T(Double.nan))))
            }
          case .relu6(let alpha, let beta, let rule):
            for i in 0..<count {
              let v = xp[i], g = gp[i]
              let r: T
              if v.isNaN {
                r = T(Double.nan)
              } else if v.isZero {
                r = atKink(alpha, rule, g, i)
              } else if v == six {
                r = atKink(beta, rule, g, i)
              } else {
                r = v > zero && v < six ? g : zero
              }
              (o + i).initialize(to: r)
            }
          case .leakyReLU(let slope, let atZero, let rule):
            for i in 0..<count {
              let v = xp[i], g = gp[i]
              (o + i).initialize(to: v > zero ? g : (v < zero ? T(slope) * g : (v.isZero ? atKink(atZero, rule, g, i) : T(Double.nan))))
            }
          }
        }
      }
      initialized = count
    }
    return Tensor(shape: x.shape, storage: out)
  }

  /// Number of inputs exactly at a kink (exact zeros; for ReLU6 also exact sixes).
  public func kinkCount<T: PrecisionScalar>(_ x: Tensor<T>) -> Int {
    switch self {
    case .identity: return 0
    case .relu, .leakyReLU: return x.storage.reduce(0) { $0 + ($1.isZero ? 1 : 0) }
    case .relu6:
      let six = T(6)
      return x.storage.reduce(0) { $0 + ($1.isZero || $1 == six ? 1 : 0) }
    }
  }
}

extension Activation: ParameterFreeLayer {
  /// One stream, numbered by the network, keys a random kink derivative.
  var randomStreams: Int { 1 }

  func forward<T: PrecisionScalar>(_ x: Tensor<T>, _ context: inout Network<T>.ForwardContext) -> (Tensor<T>, Network<T>.Cache) {
    context.kinks.append(kinkCount(x))
    context.stream += 1
    return (forward(x), .input(x))
  }

  /// With an alternative activation, the lanes split where the input has a kink: from there on the
  /// alternative's gradient flows in its own lane.
  func backward<T: PrecisionScalar>(
    _ cache: Network<T>.Cache, _ g: Network<T>.Lanes, _ context: inout Network<T>.BackwardContext
  ) -> Network<T>.Lanes? {
    let x = cache.input(of: "Activation")
    context.stream -= 1
    guard context.passDown else { return nil }
    let (layer, step) = (context.stream, context.pass.step)
    let a = backward(x, g.a, layer: layer, step: step)
    guard let other = context.alternative else { return Network<T>.Lanes(a: a, b: nil) }
    if let b = g.b { return Network<T>.Lanes(a: a, b: other.backward(x, b, layer: layer, step: step)) }
    guard kinkCount(x) > 0 else { return Network<T>.Lanes(a: a, b: nil) }
    return Network<T>.Lanes(a: a, b: other.backward(x, g.a, layer: layer, step: step))
  }

  func layer<T: PrecisionScalar>(as _: T.Type) -> Layer<T> { .activation(self) }

  func replacingActivations(with activation: Activation) -> Activation { activation }

  func activationInputs<T: PrecisionScalar>(_ cache: Network<T>.Cache) -> [Tensor<T>] {
    let x = cache.input(of: "Activation")
    return [x]
  }
}
