import Scalars
import Tensors

/// Batch normalisation over the channel axis (axis 1) of `[batch, channels]` or
/// `[batch, channels, h, w]`, with PyTorch's conventions: ε = 1e-5, momentum 0.1, biased variance for
/// normalising, unbiased variance for the running estimate, γ = 1 and β = 0 initially.
///
/// Training, per channel over its m = batch·h·w values: μ = Σx / m and σ² = Σ(x − μ)² / m (sums in the
/// accumulation format in the kernel's order, each quotient rounded once into the storage format),
/// x̂ = (x − μ) / √(σ² + ε), y = γ·x̂ + β. Evaluation uses the running estimates instead.
/// Backward (training): dx = (γ / √(σ² + ε)) · (dy − Σdy / m − x̂ · Σ(dy·x̂) / m), dγ = Σ dy·x̂, dβ = Σ dy.
///
/// Arithmetic: in the plan's accumulation format. When it is wider than the storage format (binary16
/// or bfloat16 accumulating in binary32, as hardware does), every statistic, x̂, y and the backward
/// pass are computed there (the sums in the kernels' order) and y, dx, dγ, dβ and the running estimates
/// are rounded once into storage, as cuDNN and PyTorch's GPU kernels treat half-precision data. With
/// `--accumulate same`, or `KernelPlan.normalizeInStorage` (the arithmetic before 0.8), each quotient,
/// difference and product is rounded into the storage format.
///
/// Channels are computed independently on up to the plan's threads (`forEachRow`, one row per channel:
/// with stochastic rounding each channel rounds on its own stream, so results do not depend on the
/// thread count).
public struct BatchNorm<T: PrecisionScalar>: Sendable {
  public var gamma: Tensor<T>
  public var beta: Tensor<T>
  public var runningMean: Tensor<T>
  public var runningVariance: Tensor<T>
  public var epsilon: Double = 1e-5
  public var momentum: Double = 0.1

  public init(channels: Int) {
    gamma = Tensor(shape: [channels], doubles: Array(repeating: 1, count: channels))
    beta = Tensor(zeros: [channels])
    runningMean = Tensor(zeros: [channels])
    runningVariance = Tensor(shape: [channels], doubles: Array(repeating: 1, count: channels))
  }

  public var channels: Int { gamma.count }

  /// What backward needs from a training forward pass: x̂ and 1/σ as the forward pass computed them, in
  /// the format it computed in (the storage format, or binary32 or binary64 when wider).
  public struct Cache: Sendable {
    enum Values: Sendable {
      case storage(normalized: [T], inverseDeviation: [T])
      case binary32(normalized: [Float], inverseDeviation: [Float])
      case binary64(normalized: [Double], inverseDeviation: [Double])
    }
    var values: Values
  }

  /// Whether `plan` computes batch norm in a format wider than `T` (binary32 or binary64).
  static func computesWide(_ plan: KernelPlan) -> Bool {
    !plan.normalizeInStorage && plan.accumulation != .same && plan.accumulationFormat(storage: T.self).precision > T.format.precision
  }

  static func layout(_ shape: [Int]) -> (n: Int, c: Int, spatial: Int) {
    precondition(shape.count == 2 || shape.count == 4, "BatchNorm expects [batch, c] or [batch, c, h, w], got \(shape)")
    return (shape[0], shape[1], shape.count == 4 ? shape[2] * shape[3] : 1)
  }

  public mutating func forward(_ x: Tensor<T>, training: Bool, _ plan: KernelPlan) -> (Tensor<T>, Cache?) {
    let (y, values): (Tensor<T>, Cache.Values)
    if !Self.computesWide(plan) {
      let r = normalize(x, training: training, plan, T.self)
      (y, values) = (r.y, .storage(normalized: r.normalized, inverseDeviation: r.inverse))
    } else if plan.accumulation == .binary32 {
      let r = normalize(x, training: training, plan, Float.self)
      (y, values) = (r.y, .binary32(normalized: r.normalized, inverseDeviation: r.inverse))
    } else {
      let r = normalize(x, training: training, plan, Double.self)
      (y, values) = (r.y, .binary64(normalized: r.normalized, inverseDeviation: r.inverse))
    }
    return (y, training ? Cache(values: values) : nil)
  }

  public func backward(_ cache: Cache, gradOut: Tensor<T>, _ plan: KernelPlan) -> (input: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>) {
    switch cache.values {
    case .storage(let xhat, let inverse): gradients(xhat, inverse, gradOut: gradOut, plan)
    case .binary32(let xhat, let inverse): gradients(xhat, inverse, gradOut: gradOut, plan)
    case .binary64(let xhat, let inverse): gradients(xhat, inverse, gradOut: gradOut, plan)
    }
  }

  /// The plan of the per-channel sums over values in `A`: the plan itself when `A` is the storage format
  /// (sums accumulate as it says and round into `T`), else the sums are in `A` itself.
  static func sumPlan<A: PrecisionScalar>(_ plan: KernelPlan, _: A.Type) -> KernelPlan {
    guard A.self != T.self else { return plan }
    var inA = plan
    inA.accumulation = .same
    return inA
  }

  /// The forward pass with every operation in `A` (`T` itself, or a wider binary32/binary64) and one
  /// rounding into `T` per stored result (none when `A` is `T`): y, and x̂ and 1/σ in `A` for backward.
  mutating func normalize<A: PrecisionScalar>(_ x: Tensor<T>, training: Bool, _ plan: KernelPlan, _: A.Type)
    -> (y: Tensor<T>, normalized: [A], inverse: [A])
  {
    let (n, c, spatial) = Self.layout(x.shape)
    precondition(c == channels, "BatchNorm for \(channels) channels got \(x.shape)")
    let m = n * spatial
    let sums = Self.sumPlan(plan, A.self)
    // The conversions in the order, and on the stream (outside or inside a channel's), that stochastic
    // rounding draws for them.
    let epsilon = A(self.epsilon), one = A(1), momentum = self.momentum
    let ones = ChannelBuffer<A>(owning: one, count: max(m, 1))
    let (gammas, betas) = (ChannelBuffer<A>(converting: gamma.storage), ChannelBuffer<A>(converting: beta.storage))
    let (means, variances) = (ChannelBuffer<T>(owning: runningMean.storage), ChannelBuffer<T>(owning: runningVariance.storage))
    let inverse = ChannelBuffer<A>(owning: A(0), count: c)
    defer { for b in [ones, gammas, betas, inverse] { b.deallocate() } }
    defer { for b in [means, variances] { b.deallocate() } }
    let (y, normalized) = reading(x.storage) { input in
      newArrays(count: x.count, T.self, A.self) { out, normalized in
        // Per worker: a channel's values in A and their squared deviations.
        forEachRow(c, threads: plan.threads, scratch: { [A](repeating: one, count: 2 * max(m, 1)) }) { ch, scratch in
          let (mean, variance): (A, A) = scratch.withUnsafeMutableBufferPointer { buffer in
            guard training else {
              return (ScalarConversion.convert(means[ch], to: A.self), ScalarConversion.convert(variances[ch], to: A.self))
            }
            let (values, squares) = (buffer.baseAddress!, buffer.baseAddress! + m)
            for b in 0..<n {
              for p in 0..<spatial { values[b * spatial + p] = ScalarConversion.convert(input[(b * c + ch) * spatial + p], to: A.self) }
            }
            let mean: A = DotProduct.rounded(values, 1, ones.base, 1, count: m, dividedBy: m, plan: sums)
            for k in 0..<m { squares[k] = (values[k] - mean) * (values[k] - mean) }
            return (mean, DotProduct.rounded(squares, 1, ones.base, 1, count: m, dividedBy: m, plan: sums))
          }
          if training {
            let unbiased = m > 1 ? variance * A(m) / A(m - 1) : variance
            let mo = A(momentum)
            means[ch] = ScalarConversion.convert((one - mo) * ScalarConversion.convert(means[ch], to: A.self) + mo * mean, to: T.self)
            variances[ch] = ScalarConversion.convert((one - mo) * ScalarConversion.convert(variances[ch], to: A.self) + mo * unbiased, to: T.self)
          }
          let inv = one / (variance + epsilon).squareRoot()
          inverse[ch] = inv
          let (scale, shift) = (gammas[ch], betas[ch])
          for b in 0..<n {
            let base = (b * c + ch) * spatial
            for p in base..<(base + spatial) {
              let xhat = (ScalarConversion.convert(input[p], to: A.self) - mean) * inv
              normalized.initialize(p, to: xhat)
              out.initialize(p, to: ScalarConversion.convert(scale * xhat + shift, to: T.self))
            }
          }
        }
      }
    }
    if training {
      runningMean.storage = means.array
      runningVariance.storage = variances.array
    }
    return (Tensor(shape: x.shape, storage: y), normalized, inverse.array)
  }

  /// The backward pass (training) from x̂ and 1/σ in `A`, every operation in `A` and one rounding into
  /// `T` per result (none when `A` is `T`).
  func gradients<A: PrecisionScalar>(_ xhat: [A], _ inverseDeviation: [A], gradOut: Tensor<T>, _ plan: KernelPlan)
    -> (input: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>)
  {
    let (n, c, spatial) = Self.layout(gradOut.shape)
    let count = n * spatial
    let sums = Self.sumPlan(plan, A.self)
    let m = A(count)
    let ones = ChannelBuffer<A>(owning: A(1), count: max(count, 1))
    let (inverse, gammas) = (ChannelBuffer<A>(owning: inverseDeviation), ChannelBuffer<A>(converting: gamma.storage))
    let (dGamma, dBeta) = (ChannelBuffer<T>(owning: T(0), count: c), ChannelBuffer<T>(owning: T(0), count: c))
    defer { for b in [ones, inverse, gammas] { b.deallocate() } }
    defer { for b in [dGamma, dBeta] { b.deallocate() } }
    let dx = reading(gradOut.storage, xhat) { gradient, normalized in
      newArray(count: gradOut.count) { (dx: ChannelBuffer<T>) in
        // Per worker: a channel's gradients, x̂ and their products, in A.
        forEachRow(c, threads: plan.threads, scratch: { [A](repeating: A(0), count: 3 * max(count, 1)) }) { ch, scratch in
          scratch.withUnsafeMutableBufferPointer { buffer in
            let (dy, xh, products) = (buffer.baseAddress!, buffer.baseAddress! + count, buffer.baseAddress! + 2 * count)
            for b in 0..<n {
              for p in 0..<spatial {
                let (i, k) = ((b * c + ch) * spatial + p, b * spatial + p)
                dy[k] = ScalarConversion.convert(gradient[i], to: A.self)
                xh[k] = normalized[i]
                products[k] = dy[k] * xh[k]
              }
            }
            let sumDy: A = DotProduct.rounded(dy, 1, ones.base, 1, count: count, plan: sums)
            let sumDyXhat: A = DotProduct.rounded(products, 1, ones.base, 1, count: count, plan: sums)
            dGamma[ch] = ScalarConversion.convert(sumDyXhat, to: T.self)
            dBeta[ch] = ScalarConversion.convert(sumDy, to: T.self)
            let scale = gammas[ch] * inverse[ch]
            let (meanDy, meanDyXhat) = (sumDy / m, sumDyXhat / m)
            for b in 0..<n {
              for p in 0..<spatial {
                let k = b * spatial + p
                dx.initialize((b * c + ch) * spatial + p, to: ScalarConversion.convert(scale * (dy[k] - meanDy - xh[k] * meanDyXhat), to: T.self))
              }
            }
          }
        }
      }
    }
    return (Tensor(shape: gradOut.shape, storage: dx), Tensor(shape: [c], storage: dGamma.array), Tensor(shape: [c], storage: dBeta.array))
  }
}

extension BatchNorm: NetworkLayer {
  static var operation: OperationClass { .normalization }

  func parameterNames(prefix: String) -> [String] { ["\(prefix).weight", "\(prefix).bias"] }

  var parameters: [Tensor<T>] {
    get { [gamma, beta] }
    set {
      precondition(newValue.count == 2 && newValue.allSatisfy { $0.shape == gamma.shape }, "BatchNorm: parameter shapes")
      (gamma, beta) = (newValue[0], newValue[1])
    }
  }

  var buffers: [Tensor<T>] {
    get { [runningMean, runningVariance] }
    set {
      precondition(newValue.count == 2 && newValue.allSatisfy { $0.shape == runningMean.shape }, "BatchNorm: buffer shapes")
      (runningMean, runningVariance) = (newValue[0], newValue[1])
    }
  }

  mutating func forward(_ x: Tensor<T>, _ context: inout Network<T>.ForwardContext) -> (Tensor<T>, Network<T>.Cache) {
    let (y, cache) = forward(x, training: context.pass.training, context.plan)
    return (y, .batchNorm(cache))
  }

  func backward(_ cache: Network<T>.Cache, _ g: Network<T>.Lanes, _ context: inout Network<T>.BackwardContext) -> Network<T>.Lanes? {
    guard case .batchNorm(let saved) = cache, let saved else {
      preconditionFailure("backward needs a training forward pass through batch norm")
    }
    let a = backward(saved, gradOut: g.a, context.plan)
    let b = g.b.map { backward(saved, gradOut: $0, context.plan) }
    if context.wanted {
      context.store(0, a.gamma, b?.gamma)
      context.store(1, a.beta, b?.beta)
    }
    guard context.passDown else { return nil }
    return Network<T>.Lanes(a: a.input, b: b?.input)
  }

  func converted<U: PrecisionScalar>(to _: U.Type, name: String) -> Layer<U> {
    var n = BatchNorm<U>(channels: channels)
    n.gamma = gamma.converted(to: U.self)
    n.beta = beta.converted(to: U.self)
    n.runningMean = runningMean.converted(to: U.self)
    n.runningVariance = runningVariance.converted(to: U.self)
    n.epsilon = epsilon
    n.momentum = momentum
    return .batchNorm(n, name: name)
  }
}
