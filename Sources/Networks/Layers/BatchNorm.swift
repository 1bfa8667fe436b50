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

  /// What backward needs from a training forward pass.
  public struct Cache: Sendable {
    var normalized: Tensor<T>
    var inverseDeviation: [T]
  }

  static func layout(_ shape: [Int]) -> (n: Int, c: Int, spatial: Int) {
    precondition(shape.count == 2 || shape.count == 4, "BatchNorm expects [batch, c] or [batch, c, h, w], got \(shape)")
    return (shape[0], shape[1], shape.count == 4 ? shape[2] * shape[3] : 1)
  }

  /// The values of channel `ch`, in (batch, position) order.
  static func channelValues(_ x: Tensor<T>, _ ch: Int) -> [T] {
    let (n, c, spatial) = layout(x.shape)
    var out = [T]()
    out.reserveCapacity(n * spatial)
    for b in 0..<n { for p in 0..<spatial { out.append(x.storage[(b * c + ch) * spatial + p]) } }
    return out
  }

  /// `round(Σ values)`, or `round((Σ values) / divisor)` with the quotient in the accumulation format.
  static func sum(_ values: [T], dividedBy divisor: Int? = nil, _ plan: KernelPlan) -> T {
    let ones = [T](repeating: T(1), count: values.count)
    return values.withUnsafeBufferPointer { vp in
      ones.withUnsafeBufferPointer { op in
        DotProduct.rounded(vp.baseAddress!, 1, op.baseAddress!, 1, count: values.count, dividedBy: divisor, plan: plan)
      }
    }
  }

  public mutating func forward(_ x: Tensor<T>, training: Bool, _ plan: KernelPlan) -> (Tensor<T>, Cache?) {
    let (n, c, spatial) = Self.layout(x.shape)
    precondition(c == channels, "BatchNorm for \(channels) channels got \(x.shape)")
    let m = n * spatial
    var out = x.storage
    var normalized = x.storage
    var inverse = [T]()
    let epsilon = T(self.epsilon)
    for ch in 0..<c {
      let values = Self.channelValues(x, ch)
      let mean: T, variance: T
      if training {
        mean = Self.sum(values, dividedBy: m, plan)
        let squares = values.map { ($0 - mean) * ($0 - mean) }
        variance = Self.sum(squares, dividedBy: m, plan)
        let unbiased = m > 1 ? variance * T(m) / T(m - 1) : variance
        let mo = T(momentum)
        runningMean.storage[ch] = (T(1) - mo) * runningMean.storage[ch] + mo * mean
        runningVariance.storage[ch] = (T(1) - mo) * runningVariance.storage[ch] + mo * unbiased
      } else {
        mean = runningMean.storage[ch]
        variance = runningVariance.storage[ch]
      }
      let inv = T(1) / (variance + epsilon).squareRoot()
      inverse.append(inv)
      for b in 0..<n {
        for p in 0..<spatial {
          let k = (b * c + ch) * spatial + p
          let xhat = (x.storage[k] - mean) * inv
          normalized[k] = xhat
          out[k] = gamma.storage[ch] * xhat + beta.storage[ch]
        }
      }
    }
    let y = Tensor(shape: x.shape, storage: out)
    return (y, training ? Cache(normalized: Tensor(shape: x.shape, storage: normalized), inverseDeviation: inverse) : nil)
  }

  public func backward(_ cache: Cache, gradOut: Tensor<T>, _ plan: KernelPlan) -> (input: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>) {
    let (n, c, spatial) = Self.layout(gradOut.shape)
    let m = T(n * spatial)
    var dx = gradOut.storage
    var dGamma = [T](), dBeta = [T]()
    for ch in 0..<c {
      let dy = Self.channelValues(gradOut, ch)
      let xhat = Self.channelValues(cache.normalized, ch)
      let sumDy = Self.sum(dy, plan)
      let sumDyXhat = Self.sum(zip(dy, xhat).map { $0 * $1 }, plan)
      dGamma.append(sumDyXhat)
      dBeta.append(sumDy)
      let scale = gamma.storage[ch] * cache.inverseDeviation[ch]
      let meanDy = sumDy / m, meanDyXhat = sumDyXhat / m
      for b in 0..<n {
        for p in 0..<spatial {
          let k = (b * c + ch) * spatial + p
          dx[k] = scale * (gradOut.storage[k] - meanDy - cache.normalized.storage[k] * meanDyXhat)
        }
      }
    }
    return (Tensor(shape: gradOut.shape, storage: dx), Tensor(shape: [c], storage: dGamma), Tensor(shape: [c], storage: dBeta))
  }
}
