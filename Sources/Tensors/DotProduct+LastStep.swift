import Scalars

/// The last operation of a sum of products: what was added to what to give the result, in the order
/// `KernelOptions` names. A pre-activation that came out exactly zero is `left ⊕ right = 0`, so the
/// operands of that step (their magnitudes, exponents and grids) say how the zero was made.
public struct LastStep: Sendable, Hashable {
  public enum Kind: String, Sendable, Hashable, CaseIterable {
    /// The bias added after the sum (`left` the sum, `right` the bias).
    case bias
    /// One more product: the sequential sum's last step (`left` the running sum, `right` the exact
    /// product; one rounding of their sum, or of the fused multiply-add).
    case product
    /// A block or slice added to the running total (`blocked:N`, `split:S`).
    case block
    /// The two halves of the pairwise tree, or the bias and the tree with the bias first.
    case halves
    /// The last halving of the lanes (lane 0 plus lane 1).
    case lanes
    /// A tensor core's last fused group (`left` the accumulator before it, `right` the group's exact
    /// sum of products; the group's own alignment and truncation make the result).
    case group
    /// A compensated sum's last step: Kahan's running sum plus the last product less the compensation,
    /// or Neumaier's running sum plus the compensation.
    case compensated
    /// A sum of one term and no bias (nothing added).
    case single
  }

  public var kind: Kind
  /// The operands, as binary64 values (exact for binary32 and binary64 accumulation and every format
  /// within binary64).
  public var left: Double
  public var right: Double

  public init(kind: Kind, left: Double, right: Double) {
    self.kind = kind
    self.left = left
    self.right = right
  }
}

extension DotProduct {
  /// The last step of `sum(x, y, count, initial, options)` accumulated as `plan` says (its
  /// accumulation format; the order and fusion of `options`, which a caller takes from the plan or
  /// from its trees for this product). Nil for `blas` (the library's order is unknown) and empty sums.
  public static func lastStep<S: PrecisionScalar>(
    _ x: UnsafePointer<S>, _ xStride: Int, _ y: UnsafePointer<S>, _ yStride: Int, count: Int, initial: S?, options: KernelOptions,
    plan: KernelPlan
  ) -> LastStep? {
    switch plan.accumulation {
    case .same: return lastStep(x, xStride, y, yStride, count: count, initial: initial, options: options, S.self)
    case .binary32: return lastStep(x, xStride, y, yStride, count: count, initial: initial, options: options, Float.self)
    case .binary64: return lastStep(x, xStride, y, yStride, count: count, initial: initial, options: options, Double.self)
    }
  }

  static func lastStep<S: PrecisionScalar, A: PrecisionScalar>(
    _ x: UnsafePointer<S>, _ xStride: Int, _ y: UnsafePointer<S>, _ yStride: Int, count: Int, initial: S?, options: KernelOptions,
    _: A.Type
  ) -> LastStep? {
    let bias = initial.map { ScalarConversion.convert($0, to: A.self) }
    func d(_ a: A) -> Double { a.doubleValue }
    func product(_ k: Int) -> Double { x[k * xStride].doubleValue * y[k * yStride].doubleValue }
    if case .blas = options.order { return nil }
    if let bias, !options.biasFirst {
      guard count > 0 else { return nil }
      var withoutBias = options
      withoutBias.biasFirst = false
      let s: A = sum(x, xStride, y, yStride, count: count, initial: nil, options: withoutBias)
      return LastStep(kind: .bias, left: d(s), right: d(bias))
    }
    let start = bias ?? A(0)
    switch options.order {
    case .blas: return nil
    case .sequential:
      guard count > 0 else { return nil }
      if count == 1 && bias == nil { return LastStep(kind: .single, left: 0, right: product(0)) }
      let before: A = sequential(x, xStride, y, yStride, range: 0..<(count - 1), fused: options.fused, from: start)
      return LastStep(kind: .product, left: d(before), right: product(count - 1))
    case .blocked, .split:
      guard count > 0 else { return nil }
      let size = options.order.blockSize(count: count)!
      let lastStart = (count - 1) / size * size
      var total = start
      var blockStart = 0
      while blockStart < lastStart {
        let block: A = sequential(x, xStride, y, yStride, range: blockStart..<(blockStart + size), fused: options.fused, from: A(0))
        total += block
        blockStart += size
      }
      let last: A = sequential(x, xStride, y, yStride, range: lastStart..<count, fused: options.fused, from: A(0))
      if lastStart == 0 && bias == nil { return LastStep(kind: .single, left: 0, right: d(last)) }
      return LastStep(kind: .block, left: d(total), right: d(last))
    case .pairwise:
      guard count > 0 else { return nil }
      if let bias {
        let tree: A = pairwise(x, xStride, y, yStride, range: 0..<count)
        return LastStep(kind: .halves, left: d(bias), right: d(tree))
      }
      if count == 1 { return LastStep(kind: .single, left: 0, right: product(0)) }
      let middle = count / 2
      let left: A = pairwise(x, xStride, y, yStride, range: 0..<middle)
      let right: A = pairwise(x, xStride, y, yStride, range: middle..<count)
      return LastStep(kind: .halves, left: d(left), right: d(right))
    case .lanes(let lanes):
      var lane = (0..<lanes).map { l -> A in
        let terms = l < count ? (count - l + lanes - 1) / lanes : 0
        return sequential(x + l * xStride, xStride * lanes, y + l * yStride, yStride * lanes, range: 0..<terms, fused: options.fused, from: l == 0 ? start : A(0))
      }
      var width = lanes / 2
      while width >= 2 {
        for l in 0..<width { lane[l] = lane[l] + lane[l + width] }
        width /= 2
      }
      return LastStep(kind: .lanes, left: d(lane[0]), right: d(lane[1]))
    case .kahan:
      guard count > 0 else { return nil }
      if count == 1 && bias == nil { return LastStep(kind: .single, left: 0, right: product(0)) }
      // Replays the sum up to its last step.
      var sum = start, compensation = A(0)
      for k in 0..<count {
        let p = ScalarConversion.convert(x[k * xStride], to: A.self) * ScalarConversion.convert(y[k * yStride], to: A.self)
        let adjusted = p - compensation
        if k == count - 1 { return LastStep(kind: .compensated, left: d(sum), right: d(adjusted)) }
        let t = sum + adjusted
        compensation = (t - sum) - adjusted
        sum = t
      }
      return nil
    case .neumaier:
      guard count > 0 else { return nil }
      var sum = start, compensation = A(0)
      for k in 0..<count {
        let p = ScalarConversion.convert(x[k * xStride], to: A.self) * ScalarConversion.convert(y[k * yStride], to: A.self)
        let t = sum + p
        let big = (sum < A(0) ? -sum : sum) >= (p < A(0) ? -p : p)
        compensation += big ? (sum - t) + p : (p - t) + sum
        sum = t
      }
      return LastStep(kind: .compensated, left: d(sum), right: d(compensation))
    case .tensorCore(let model):
      guard count > 0 else { return nil }
      let lastStart = (count - 1) / model.terms * model.terms
      let before: A = multiTerm(x, xStride, y, yStride, count: lastStart, model: model, from: start)
      var group = FixedPointSum()
      for k in lastStart..<count { group.add(product(k)) }
      return LastStep(kind: .group, left: d(before), right: group.truncated(belowExponent: (group.exponent ?? 0) - 52))
    }
  }
}
