import Scalars
import Tensors
import Testing
import TestSupport

/// The optional BLAS backend (summation order: BLAS's) against exact sums from MPFR at 256 bits: every
/// output within the error bound of any summation order, the bias added once, the same bits for any
/// thread count. Skipped, saying why, when no BLAS library is installed.
@Suite(.enabled(if: Integration.runs(BLAS.isAvailable), Comment(rawValue: BLAS.library))) struct BLASTests {
  /// Each test fails here, naming the library searched for, when CI forbids skipping and BLAS is missing.
  init() throws { try #require(BLAS.isAvailable, Comment(rawValue: BLAS.library)) }

  static func matrix(_ rows: Int, _ columns: Int, seed: UInt64) -> [Double] {
    KernelTests.values(rows * columns, seed: seed)
  }

  /// Checks every output of `A·Bᵀ + bias` in format `T` (unit roundoff `u`) against the exact value:
  /// |ĉ − c| ≤ γₖ·Σ|a·b| + u·|c| + u·|bias| (any order, fused or not: Higham, Accuracy and Stability, 3.1).
  func check<T: PrecisionScalar & BinaryFloatingPoint>(_: T.Type, m: Int, k: Int, n: Int, u: Double) {
    let (ad, bd, biasd) = (Self.matrix(m, k, seed: 1), Self.matrix(n, k, seed: 2), Self.matrix(1, n, seed: 3))
    let a = Tensor<T>(shape: [m, k], doubles: ad), b = Tensor<T>(shape: [n, k], doubles: bd), bias = Tensor<T>(shape: [n], doubles: biasd)
    let c = MatrixMultiply.timesTransposed(a, b, bias: bias, accumulate: T.self, options: KernelOptions(order: .blas))
    let c2 = MatrixMultiply.timesTransposed(a, b, bias: bias, accumulate: T.self, options: KernelOptions(order: .blas), threads: 2)
    #expect(c.storage == c2.storage, "thread count changed a BLAS result")
    let gamma = Double(k) * u / (1 - Double(k) * u)
    var worst = 0.0
    MPFRFloat.withFormat(try! FloatFormat.named("mpfr:256")) {
      for i in 0..<m {
        for j in 0..<n {
          var exact = MPFRFloat(0), magnitude = 0.0
          for t in 0..<k {
            let (x, y) = (Double(a.storage[i * k + t]), Double(b.storage[j * k + t]))
            MPFRFloat.fusedMultiplyAccumulate(&exact, MPFRFloat(x), MPFRFloat(y))
            magnitude += abs(x * y)
          }
          let products = exact.doubleValue
          let withBias = products + Double(bias.storage[j])
          let bound = gamma * magnitude * 1.0001 + u * abs(products) + u * abs(withBias) + u * abs(Double(bias.storage[j]))
          let error = abs(Double(c.storage[i * n + j]) - withBias)
          worst = max(worst, error / bound)
          #expect(error <= bound, "C[\(i),\(j)] = \(c.storage[i * n + j]), exact \(withBias), error \(error) > bound \(bound)")
        }
      }
    }
    #expect(worst > 0, "BLAS results exact everywhere: the check would not see a wrong order")
  }

  @Test func binary32WithinTheBoundOfAnyOrder() { check(Float.self, m: 37, k: 300, n: 29, u: 0x1p-24) }
  @Test func binary64WithinTheBoundOfAnyOrder() { check(Double.self, m: 19, k: 257, n: 23, u: 0x1p-53) }

  @Test func refusedWhereItCannotApply() {
    #expect(BLAS.problem(storage: .binary32, accumulate: .binary32, mode: .nearestEven, fused: false) == nil)
    #expect(BLAS.problem(storage: .bfloat16, accumulate: .bfloat16, mode: .nearestEven, fused: false) != nil)
    #expect(BLAS.problem(storage: .binary32, accumulate: .binary64, mode: .nearestEven, fused: false) != nil)
    #expect(BLAS.problem(storage: .binary64, accumulate: .binary64, mode: .towardZero, fused: false) != nil)
    #expect(BLAS.problem(storage: .binary64, accumulate: .binary64, mode: .nearestEven, fused: true) != nil)
  }
}
