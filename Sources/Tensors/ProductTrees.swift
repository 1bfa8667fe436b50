import Scalars

/// The summation trees a library's matrix products use, per product and shape, as read off the
/// library by `scripts/reveal-torch-gemm.py` (`--summation tree:FILE`): replaying them makes a dense
/// layer compute what the library computes, bit for bit.
///
/// A product is named by its role in a dense layer y = x·Wᵀ + b (`Role`) and its shape: m × n outputs,
/// each a sum of k products. Its outputs' columns fall into parts, each summed with one
/// `KernelOptions` (order, fusion, where the bias enters): BLAS libraries sum the last columns of a
/// narrow output with another kernel than the first ones.
public struct ProductTrees: Sendable, Hashable {
  /// Which product of a dense layer: the forward `x·Wᵀ + b`, the input gradient `dY·W`, the weight
  /// gradient `dYᵀ·X`.
  public enum Role: String, Sendable, Hashable, CaseIterable {
    case forward, input, weight
  }

  public struct Shape: Sendable, Hashable, CustomStringConvertible {
    public var role: Role
    public var m, n, k: Int
    public init(_ role: Role, m: Int, n: Int, k: Int) {
      self.role = role
      self.m = m
      self.n = n
      self.k = k
    }
    public var description: String { "\(role) m=\(m) n=\(n) k=\(k)" }
  }

  /// Output columns `columns` summed with `options`.
  public struct Part: Sendable, Hashable {
    public var columns: [Range<Int>]
    public var options: KernelOptions
    public init(columns: [Range<Int>], options: KernelOptions) {
      self.columns = columns
      self.options = options
    }
  }

  /// Where the trees were read: library, CPU, instruction set, versions, threads.
  public var key: [String: String]
  public var products: [Shape: [Part]]

  public init(key: [String: String], products: [Shape: [Part]]) {
    self.key = key
    self.products = products
  }

  /// Why the parts of each product do not cover its columns exactly once, or nil.
  public var problem: String? {
    for (shape, parts) in products {
      var seen = [Bool](repeating: false, count: shape.n)
      for part in parts {
        for range in part.columns {
          guard range.lowerBound >= 0, range.upperBound <= shape.n else { return "\(shape): columns \(range) outside 0..<\(shape.n)" }
          for j in range {
            if seen[j] { return "\(shape): column \(j) in two parts" }
            seen[j] = true
          }
        }
      }
      if let j = seen.firstIndex(of: false) { return "\(shape): column \(j) in no part" }
    }
    return nil
  }

  /// The shapes among `needed` that have no trees.
  public func missing(_ needed: [Shape]) -> [Shape] { needed.filter { products[$0] == nil } }
}

extension KernelPlan {
  /// The product `role` of shape m × n (sums of k) computed by `body` with this plan's options, or
  /// with `trees`'s options for that shape, part by part (each part's columns taken from a product
  /// computed with its options).
  @inlinable
  public func product<S: PrecisionScalar>(
    _ role: ProductTrees.Role, m: Int, n: Int, k: Int, _ body: (KernelPlan) -> Tensor<S>
  ) -> Tensor<S> {
    guard let trees else { return body(self) }
    let shape = ProductTrees.Shape(role, m: m, n: n, k: k)
    guard let parts = trees.products[shape] else {
      preconditionFailure("--summation tree: no tree for the \(shape) product (reveal it with scripts/reveal-torch-gemm.py)")
    }
    var result: Tensor<S>?
    for part in parts {
      var plan = self
      plan.trees = nil
      plan.options = part.options
      let computed = body(plan)
      precondition(computed.shape == [m, n], "product \(shape): computed shape \(computed.shape)")
      if parts.count == 1 { return computed }
      if result == nil { result = computed; continue }
      for range in part.columns {
        for i in 0..<m {
          for j in range { result!.storage[i * n + j] = computed.storage[i * n + j] }
        }
      }
    }
    return result!  // parts cover the columns (ProductTrees.problem), so there is at least one
  }
}
