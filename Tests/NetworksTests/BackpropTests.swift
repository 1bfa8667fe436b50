import Networks
import Scalars
import Tensors
import Testing

/// Backprop checked against central finite differences in MPFR at 256 bits, and across formats,
/// thread counts and kink rules.
@Suite struct BackpropTests {
  static let mpfr256 = try! FloatFormat.named("mpfr:256")

  static func inputs(_ batch: Int, _ features: Int, seed: UInt64) -> [Double] {
    var initializer = Initializer(seed: seed, format: .binary32)
    return (0..<(batch * features)).map { _ in initializer.uniform(bound: 2) }
  }

  /// Analytic gradient of every parameter against (L(θ + h e) − L(θ − h e)) / 2h with h = 2⁻⁶⁰, all in
  /// MPFR at 256 bits: the two agree to far better than any format the toolkit studies.
  static func finiteDifferenceError(widths: [Int], activation: LayerSpec, activateFirst: Bool = true) -> Double {
    MPFRFloat.withFormat(mpfr256) {
      var net: Network<MPFRFloat> = ModelSpec.mlp(widths: widths, activateFirstLayer: activateFirst).make(activation: activation, seed: 3)
      let batch = 3
      let x = Tensor<MPFRFloat>(shape: [batch, widths[0]], doubles: inputs(batch, widths[0], seed: 4))
      let labels = (0..<batch).map { $0 % widths.last! }
      let plan = KernelPlan()
      let (_, gradients, kinks) = net.lossAndGradients(x, labels: labels, plan)
      #expect(kinks.allSatisfy { $0 == 0 }, "random inputs should not hit a kink")
      let largest = gradients.flatMap(\.storage).map { abs($0.doubleValue) }.max()!
      #expect(largest > 1e-3, "gradients should not vanish: largest \(largest)")
      return worstFiniteDifference(net, x, labels: labels, gradients: gradients, h: MPFRFloat(0x1p-60))
    }
  }

  /// The largest |(L(θ + h e) − L(θ − h e)) / 2h − g| over every parameter element, in `T`'s arithmetic.
  static func worstFiniteDifference<T: PrecisionScalar>(_ net: Network<T>, _ x: Tensor<T>, labels: [Int], gradients: [Tensor<T>], h: T) -> Double {
    let plan = KernelPlan()
    let parameters = net.parameters
    var worst = 0.0
    for p in parameters.indices {
      for i in 0..<parameters[p].count {
        func perturbed(_ delta: T) -> T {
          var copy = net
          var changed = parameters
          changed[p].storage[i] += delta
          copy.parameters = changed
          return copy.loss(x, labels: labels, plan)
        }
        let fd = (perturbed(h) - perturbed(T(0) - h)) / (T(2) * h)
        worst = max(worst, abs((fd - gradients[p].storage[i]).doubleValue))
      }
    }
    return worst
  }

  @Test func reluMLPMatchesFiniteDifferences() {
    #expect(Self.finiteDifferenceError(widths: [5, 4, 3, 3], activation: .relu(0)) < 1e-30)
  }

  @Test func otherActivationsAndFirstLayerVariant() {
    #expect(Self.finiteDifferenceError(widths: [4, 3, 3], activation: .activation(.leakyReLU(slope: 0.125, atZero: .constant(0), rule: .scale))) < 1e-30)
    #expect(Self.finiteDifferenceError(widths: [4, 3, 3], activation: .activation(.relu6(alpha: .constant(0), beta: .constant(0), rule: .scale))) < 1e-30)
    #expect(Self.finiteDifferenceError(widths: [4, 3, 3, 2], activation: .relu(1), activateFirst: false) < 1e-30)
  }

  /// The same θ and data in binary64 and in MPFR at 256 bits give gradients within ~1e-13 relative.
  @Test func doubleAgreesWithMPFR() {
    let widths = [20, 16, 16, 4]
    var netD: Network<Double> = ModelSpec.mlp(widths: widths).make(seed: 11)
    let xD = Tensor<Double>(shape: [8, 20], doubles: Self.inputs(8, 20, seed: 12))
    let labels = (0..<8).map { $0 % 4 }
    let gD = netD.lossAndGradients(xD, labels: labels, KernelPlan()).gradients
    let gM = MPFRFloat.withFormat(Self.mpfr256) {
      var net: Network<MPFRFloat> = ModelSpec.mlp(widths: widths).make(seed: 11)
      return net.lossAndGradients(xD.converted(to: MPFRFloat.self), labels: labels, KernelPlan()).gradients
    }
    for (d, m) in zip(gD, gM) {
      let difference = zip(d.storage, m.storage).map { ($0 - $1.doubleValue) * ($0 - $1.doubleValue) }.reduce(0, +).squareRoot()
      let norm = m.storage.map { $0.doubleValue * $0.doubleValue }.reduce(0, +).squareRoot()
      #expect(difference <= 1e-13 * norm, "relative difference \(difference / norm)")
    }
  }

  /// Results do not depend on the thread count, even with stochastic rounding.
  @Test func identicalAcrossThreadCounts() {
    let net: Network<BFloat16> = ModelSpec.mlp(widths: [30, 20, 20, 5]).make(seed: 21)
    let x = Tensor<BFloat16>(shape: [16, 30], doubles: Self.inputs(16, 30, seed: 22))
    let labels = (0..<16).map { $0 % 5 }
    for mode in [RoundingMode.nearestEven, .stochastic] {
      let runs = [1, 2, 5].map { threads in
        RoundingEnvironment.with(mode, seed: 7) {
          var copy = net
          return copy.lossAndGradients(x, labels: labels, KernelPlan(accumulate: .binary32, options: KernelOptions(order: .blocked(8)), threads: threads))
            .gradients.map { $0.storage.map(\.hexDescription) }
        }
      }
      #expect(runs[0] == runs[1] && runs[1] == runs[2], "\(mode)")
    }
  }

  /// A network built in binary32 and converted equals one built directly in the target format.
  @Test func convertedEqualsDirect() {
    let direct: Network<Binary16> = ModelSpec.mlp(widths: [10, 6, 3]).make(seed: 5)
    let converted = (ModelSpec.mlp(widths: [10, 6, 3]).make(seed: 5) as Network<Float>).converted(to: Binary16.self)
    for (a, b) in zip(direct.parameters, converted.parameters) { #expect(a.storage == b.storage) }
  }
}
