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

  /// What backward needs from a training forward pass.
  public struct Cache: Sendable {
    /// x̂ and 1/σ as the forward pass computed them: in the storage format, or in the accumulation
    /// format (as binary64 values, exact for binary32 and binary64).
    enum Values: Sendable {
      case storage(normalized: [T], inverseDeviation: [T])
      case wide(normalized: [Double], inverseDeviation: [Double])
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

  /// `round(Σ values)`, or `round((Σ values) / divisor)` with the quotient in the accumulation format.
  static func sum(_ values: UnsafePointer<T>, count: Int, ones: UnsafePointer<T>, dividedBy divisor: Int? = nil, _ plan: KernelPlan) -> T {
    DotProduct.rounded(values, 1, ones, 1, count: count, dividedBy: divisor, plan: plan)
  }

  public mutating func forward(_ x: Tensor<T>, training: Bool, _ plan: KernelPlan) -> (Tensor<T>, Cache?) {
    if Self.computesWide(plan) {
      return plan.accumulation == .binary32 ? forwardWide(x, training: training, plan, Float.self) : forwardWide(x, training: training, plan, Double.self)
    }
    let (n, c, spatial) = Self.layout(x.shape)
    precondition(c == channels, "BatchNorm for \(channels) channels got \(x.shape)")
    let m = n * spatial
    var out = x.storage, normalized = x.storage
    var inverse = [T](repeating: T(0), count: c)
    var means = runningMean.storage, variances = runningVariance.storage
    let (gammas, betas) = (gamma.storage, beta.storage)
    let epsilon = T(self.epsilon), one = T(1), momentum = self.momentum
    let ones = [T](repeating: one, count: max(m, 1))
    x.storage.withUnsafeBufferPointer { xp in
      ones.withUnsafeBufferPointer { op in
        out.withUnsafeMutableBufferPointer { yp in
          normalized.withUnsafeMutableBufferPointer { np in
            inverse.withUnsafeMutableBufferPointer { ip in
              means.withUnsafeMutableBufferPointer { mp in
                variances.withUnsafeMutableBufferPointer { vp in
                  nonisolated(unsafe) let (xp, op, yp, np, ip, mp, vp) = (xp, op, yp, np, ip, mp, vp)
                  // Per worker: a channel's values and their squared deviations.
                  forEachRow(c, threads: plan.threads, scratch: { [T](repeating: one, count: 2 * max(m, 1)) }) { ch, scratch in
                    let mean: T, variance: T
                    if training {
                      (mean, variance) = scratch.withUnsafeMutableBufferPointer { buffer in
                        let (values, squares) = (buffer.baseAddress!, buffer.baseAddress! + m)
                        for b in 0..<n { (values + b * spatial).update(from: xp.baseAddress! + (b * c + ch) * spatial, count: spatial) }
                        let mean = Self.sum(values, count: m, ones: op.baseAddress!, dividedBy: m, plan)
                        for k in 0..<m { squares[k] = (values[k] - mean) * (values[k] - mean) }
                        return (mean, Self.sum(squares, count: m, ones: op.baseAddress!, dividedBy: m, plan))
                      }
                      let unbiased = m > 1 ? variance * T(m) / T(m - 1) : variance
                      let mo = T(momentum)
                      mp[ch] = (one - mo) * mp[ch] + mo * mean
                      vp[ch] = (one - mo) * vp[ch] + mo * unbiased
                    } else {
                      mean = mp[ch]
                      variance = vp[ch]
                    }
                    let inv = one / (variance + epsilon).squareRoot()
                    ip[ch] = inv
                    let (scale, shift) = (gammas[ch], betas[ch])
                    for b in 0..<n {
                      let base = (b * c + ch) * spatial
                      for p in base..<(base + spatial) {
                        let xhat = (xp[p] - mean) * inv
                        np[p] = xhat
                        yp[p] = scale * xhat + shift
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    if training {
      runningMean.storage = means
      runningVariance.storage = variances
    }
    let y = Tensor(shape: x.shape, storage: out)
    return (y, training ? Cache(values: .storage(normalized: normalized, inverseDeviation: inverse)) : nil)
  }

  public func backward(_ cache: Cache, gradOut: Tensor<T>, _ plan: KernelPlan) -> (input: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>) {
    let (normalized, inverseDeviation): ([T], [T])
    switch cache.values {
    case .wide(let xhat, let inverse):
      let wide = (normalized: xhat, inverseDeviation: inverse)
      return plan.accumulation == .binary32
        ? backwardWide(wide, gradOut: gradOut, plan, Float.self) : backwardWide(wide, gradOut: gradOut, plan, Double.self)
    case .storage(let xhat, let inverse): (normalized, inverseDeviation) = (xhat, inverse)
    }
    let (n, c, spatial) = Self.layout(gradOut.shape)
    let count = n * spatial
    let m = T(count)
    var dx = gradOut.storage
    var dGamma = [T](repeating: T(0), count: c), dBeta = dGamma
    let ones = [T](repeating: T(1), count: max(count, 1))
    let gammas = gamma.storage
    gradOut.storage.withUnsafeBufferPointer { gp in
      normalized.withUnsafeBufferPointer { xp in
        ones.withUnsafeBufferPointer { op in
          dx.withUnsafeMutableBufferPointer { dxp in
            dGamma.withUnsafeMutableBufferPointer { dgp in
              dBeta.withUnsafeMutableBufferPointer { dbp in
                nonisolated(unsafe) let (gp, xp, op, dxp, dgp, dbp) = (gp, xp, op, dxp, dgp, dbp)
                // Per worker: a channel's gradients and their products with x̂.
                forEachRow(c, threads: plan.threads, scratch: { [T](repeating: T(0), count: 2 * max(count, 1)) }) { ch, scratch in
                  let (sumDy, sumDyXhat) = scratch.withUnsafeMutableBufferPointer { buffer in
                    let (dy, products) = (buffer.baseAddress!, buffer.baseAddress! + count)
                    for b in 0..<n { (dy + b * spatial).update(from: gp.baseAddress! + (b * c + ch) * spatial, count: spatial) }
                    for b in 0..<n {
                      for p in 0..<spatial { products[b * spatial + p] = dy[b * spatial + p] * xp[(b * c + ch) * spatial + p] }
                    }
                    return (Self.sum(dy, count: count, ones: op.baseAddress!, plan), Self.sum(products, count: count, ones: op.baseAddress!, plan))
                  }
                  dgp[ch] = sumDyXhat
                  dbp[ch] = sumDy
                  let scale = gammas[ch] * inverseDeviation[ch]
                  let meanDy = sumDy / m, meanDyXhat = sumDyXhat / m
                  for b in 0..<n {
                    let base = (b * c + ch) * spatial
                    for k in base..<(base + spatial) { dxp[k] = scale * (gp[k] - meanDy - xp[k] * meanDyXhat) }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (Tensor(shape: gradOut.shape, storage: dx), Tensor(shape: [c], storage: dGamma), Tensor(shape: [c], storage: dBeta))
  }

  // MARK: In the accumulation format

  /// `forward` with every operation in `A` (wider than `T`) and one rounding into `T` per result.
  mutating func forwardWide<A: PrecisionScalar>(_ x: Tensor<T>, training: Bool, _ plan: KernelPlan, _: A.Type) -> (Tensor<T>, Cache?) {
    let (n, c, spatial) = Self.layout(x.shape)
    precondition(c == channels, "BatchNorm for \(channels) channels got \(x.shape)")
    let m = n * spatial
    var inA = plan
    inA.accumulation = .same
    let ones = [A](repeating: A(1), count: max(m, 1))
    let (one, epsilon, momentum) = (A(1), A(self.epsilon), A(self.momentum))
    var out = x.storage, normalized = [Double](repeating: 0, count: x.count), inverse = [Double](repeating: 0, count: c)
    var means = runningMean.storage, variances = runningVariance.storage
    let (gammas, betas) = (gamma.storage, beta.storage)
    x.storage.withUnsafeBufferPointer { xp in
      ones.withUnsafeBufferPointer { op in
        out.withUnsafeMutableBufferPointer { yp in
          normalized.withUnsafeMutableBufferPointer { np in
            inverse.withUnsafeMutableBufferPointer { ip in
              means.withUnsafeMutableBufferPointer { mp in
                variances.withUnsafeMutableBufferPointer { vp in
                  nonisolated(unsafe) let (xp, op, yp, np, ip, mp, vp) = (xp, op, yp, np, ip, mp, vp)
                  // Per worker: a channel's values in A and their squared deviations.
                  forEachRow(c, threads: plan.threads, scratch: { [A](repeating: one, count: 2 * max(m, 1)) }) { ch, scratch in
                    let (mean, variance): (A, A) = scratch.withUnsafeMutableBufferPointer { buffer in
                      let (values, squares) = (buffer.baseAddress!, buffer.baseAddress! + m)
                      for b in 0..<n {
                        for p in 0..<spatial { values[b * spatial + p] = ScalarConversion.convert(xp[(b * c + ch) * spatial + p], to: A.self) }
                      }
                      guard training else {
                        return (ScalarConversion.convert(mp[ch], to: A.self), ScalarConversion.convert(vp[ch], to: A.self))
                      }
                      let mean = DotProduct.rounded(values, 1, op.baseAddress!, 1, count: m, dividedBy: m, plan: inA)
                      for k in 0..<m { squares[k] = (values[k] - mean) * (values[k] - mean) }
                      return (mean, DotProduct.rounded(squares, 1, op.baseAddress!, 1, count: m, dividedBy: m, plan: inA))
                    }
                    if training {
                      let unbiased = m > 1 ? variance * A(m) / A(m - 1) : variance
                      mp[ch] = ScalarConversion.convert((one - momentum) * ScalarConversion.convert(mp[ch], to: A.self) + momentum * mean, to: T.self)
                      vp[ch] = ScalarConversion.convert((one - momentum) * ScalarConversion.convert(vp[ch], to: A.self) + momentum * unbiased, to: T.self)
                    }
                    let inv = one / (variance + epsilon).squareRoot()
                    ip[ch] = ScalarConversion.convert(inv, to: Double.self)
                    let (scale, shift) = (ScalarConversion.convert(gammas[ch], to: A.self), ScalarConversion.convert(betas[ch], to: A.self))
                    for b in 0..<n {
                      let base = (b * c + ch) * spatial
                      for p in base..<(base + spatial) {
                        let xhat = (ScalarConversion.convert(xp[p], to: A.self) - mean) * inv
                        np[p] = ScalarConversion.convert(xhat, to: Double.self)
                        yp[p] = ScalarConversion.convert(scale * xhat + shift, to: T.self)
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    if training {
      runningMean.storage = means
      runningVariance.storage = variances
    }
    let y = Tensor(shape: x.shape, storage: out)
    return (y, training ? Cache(values: .wide(normalized: normalized, inverseDeviation: inverse)) : nil)
  }

  /// `backward` with every operation in `A` and one rounding into `T` per result.
  func backwardWide<A: PrecisionScalar>(
    _ wide: (normalized: [Double], inverseDeviation: [Double]), gradOut: Tensor<T>, _ plan: KernelPlan, _: A.Type
  ) -> (input: Tensor<T>, gamma: Tensor<T>, beta: Tensor<T>) {
    let (n, c, spatial) = Self.layout(gradOut.shape)
    let count = n * spatial
    var inA = plan
    inA.accumulation = .same
    let m = A(count)
    let ones = [A](repeating: A(1), count: max(count, 1))
    var dx = gradOut.storage, dGamma = [T](repeating: T(0), count: c), dBeta = dGamma
    let gammas = gamma.storage
    gradOut.storage.withUnsafeBufferPointer { gp in
      wide.normalized.withUnsafeBufferPointer { xp in
        wide.inverseDeviation.withUnsafeBufferPointer { ip in
          ones.withUnsafeBufferPointer { op in
            dx.withUnsafeMutableBufferPointer { dxp in
              dGamma.withUnsafeMutableBufferPointer { dgp in
                dBeta.withUnsafeMutableBufferPointer { dbp in
                  nonisolated(unsafe) let (gp, xp, ip, op, dxp, dgp, dbp) = (gp, xp, ip, op, dxp, dgp, dbp)
                  // Per worker: a channel's gradients, x̂ and their products, in A.
                  forEachRow(c, threads: plan.threads, scratch: { [A](repeating: A(0), count: 3 * max(count, 1)) }) { ch, scratch in
                    scratch.withUnsafeMutableBufferPointer { buffer in
                      let (dy, xhat, products) = (buffer.baseAddress!, buffer.baseAddress! + count, buffer.baseAddress! + 2 * count)
                      for b in 0..<n {
                        for p in 0..<spatial {
                          let (i, k) = ((b * c + ch) * spatial + p, b * spatial + p)
                          dy[k] = ScalarConversion.convert(gp[i], to: A.self)
                          xhat[k] = ScalarConversion.convert(xp[i], to: A.self)
                          products[k] = dy[k] * xhat[k]
                        }
                      }
                      let sumDy: A = DotProduct.rounded(dy, 1, op.baseAddress!, 1, count: count, plan: inA)
                      let sumDyXhat: A = DotProduct.rounded(products, 1, op.baseAddress!, 1, count: count, plan: inA)
                      dgp[ch] = ScalarConversion.convert(sumDyXhat, to: T.self)
                      dbp[ch] = ScalarConversion.convert(sumDy, to: T.self)
                      let scale = ScalarConversion.convert(gammas[ch], to: A.self) * ScalarConversion.convert(ip[ch], to: A.self)
                      let (meanDy, meanDyXhat) = (sumDy / m, sumDyXhat / m)
                      for b in 0..<n {
                        for p in 0..<spatial {
                          let k = b * spatial + p
                          dxp[(b * c + ch) * spatial + p] = ScalarConversion.convert(scale * (dy[k] - meanDy - xhat[k] * meanDyXhat), to: T.self)
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (Tensor(shape: gradOut.shape, storage: dx), Tensor(shape: [c], storage: dGamma), Tensor(shape: [c], storage: dBeta))
  }
}
