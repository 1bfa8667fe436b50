import Networks
import Scalars
import Tensors
import Testing

/// ReLU'(0) semantics on hand-built inputs with exact zeros.
@Suite struct KinkTests {
  @Test func activationRules() {
    let x = Tensor<Float>(shape: [4], doubles: [0, 1, -1, -0.0])
    let g = Tensor<Float>(shape: [4], doubles: [0.5, 2, 3, 1])
    #expect(Activation.relu(0).backward(x, g).doubles == [0, 2, 0, 0])
    #expect(Activation.relu(1).backward(x, g).doubles == [0.5, 2, 0, 1])
    #expect(Activation.relu(1, rule: .paper).backward(x, g).doubles == [1, 2, 0, 1])  // differs only where g ≠ 1
    #expect(Activation.relu(0.25).backward(x, g).doubles == [0.125, 2, 0, 0.25])
    let six = Tensor<Float>(shape: [3], doubles: [6, 7, 0])
    let relu6 = Activation.relu6(alpha: .constant(0.5), beta: .constant(2), rule: .scale)
    #expect(relu6.backward(six, Tensor(shape: [3], doubles: [3, 3, 3])).doubles == [6, 0, 1.5])
    #expect(relu6.forward(six).doubles == [6, 6, 0])
    let leaky = Activation.leakyReLU(slope: 0.5, atZero: .constant(1), rule: .scale)
    #expect(leaky.forward(x).doubles == [0, 1, -0.5, -0.0])
    #expect(leaky.backward(x, g).doubles == [0.5, 2, 1.5, 1])
    #expect(Activation.relu(0).kinkCount(x) == 2)
  }

  /// NaN and −0 at the forward, as PyTorch 2.15's CPU `relu`, `relu6` and `leaky_relu` give them for
  /// [NaN, −0, 0, inf, −inf] (printed by torch): a NaN is never hidden as a 0.
  @Test func forwardEdgesFollowPyTorch() {
    let x = Tensor<Float>(shape: [5], storage: [.nan, -0.0, 0, .infinity, -.infinity])
    func bits(_ t: Tensor<Float>) -> [UInt32] { t.storage.map { $0.isNaN ? Float.nan.bitPattern : $0.bitPattern } }
    let expected: [Float] = [.nan, -0.0, 0, .infinity, 0]
    #expect(bits(Activation.relu(0).forward(x)) == bits(Tensor(shape: [5], storage: expected)))
    #expect(bits(Activation.relu6(alpha: .constant(0), beta: .constant(0), rule: .scale).forward(x)) == bits(Tensor(shape: [5], storage: [.nan, -0.0, 0, 6, 0])))
    #expect(bits(Activation.leakyReLU(slope: 0.5, atZero: .constant(0), rule: .scale).forward(x)) == bits(Tensor(shape: [5], storage: [.nan, -0.0, 0, .infinity, -.infinity])))
  }

  /// ReLU's backward with a constant α, in every emulated and hardware type, against a direct reading
  /// of its contract on inputs with exact zeros of both signs and NaNs: g away from 0 (0 below it), at an
  /// exact 0 the rounded α (`paper`) or α·g rounded once (`scale`), NaN at a NaN.
  @Test(arguments: KinkRule.allCases)
  func reluBackwardFollowsTheContract(rule: KinkRule) {
    func check<T: PrecisionScalar>(_: T.Type) {
      var state: UInt64 = 11
      func draw() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Double(state >> 11) * 0x1p-53
      }
      let inputs = (0..<4000).map { _ -> Double in
        let u = draw()
        return u < 0.1 ? 0 : u < 0.15 ? -0.0 : u < 0.17 ? .nan : 2 * draw() - 1
      }
      let x = Tensor<T>(shape: [4000], doubles: inputs)
      let g = Tensor<T>(shape: [4000], doubles: inputs.map { _ in 4 * draw() - 2 })
      for a in [0, 1, 0.1, 0.3] {
        let dx = Activation.relu(a, rule: rule).backward(x, g)
        for i in 0..<4000 {
          let (v, gi) = (x[i], g[i])
          let want: T = v > T(0) ? gi : v < T(0) ? T(0) : v.isZero ? (rule == .paper ? T(a) : T(a) * gi) : T(Double.nan)
          #expect(dx[i] == want || (dx[i].isNaN && want.isNaN), "\(T.self), α \(a), element \(i)")
        }
      }
    }
    check(Float.self)
    check(Double.self)
    check(Binary16.self)
    check(BFloat16.self)
  }

  /// Under stochastic rounding α is rounded at each kink, from the stream: 0.1 is not a binary16 value,
  /// so 2,000 kinks receive both of its neighbours, reproducibly for one seed.
  @Test func stochasticRoundingRoundsAlphaAtEachKink() {
    let x = Tensor<Binary16>(zeros: [2000])
    let g = Tensor<Binary16>(shape: [2000], doubles: Array(repeating: 1, count: 2000))
    let relu = Activation.relu(0.1, rule: .paper)
    let first = RoundingEnvironment.with(.stochastic, seed: 5) { relu.backward(x, g).doubles }
    let again = RoundingEnvironment.with(.stochastic, seed: 5) { relu.backward(x, g).doubles }
    #expect(first == again)
    #expect(Set(first) == [Double(Float16(0.1)), Double(Float16(0.1).nextDown)] || Set(first) == [Double(Float16(0.1)), Double(Float16(0.1).nextUp)])
  }

  @Test func randomKinkDerivativeIsReproducible() {
    let a = Activation.relu(alpha: .uniformRandom(seed: 9), rule: .paper)
    let x = Tensor<Double>(zeros: [100])
    let g = Tensor<Double>(shape: [100], doubles: Array(repeating: 1, count: 100))
    let first = a.backward(x, g, layer: 0, step: 3).doubles
    #expect(first == a.backward(x, g, layer: 0, step: 3).doubles)
    #expect(first != a.backward(x, g, layer: 0, step: 4).doubles)
    #expect(first.allSatisfy { $0 >= 0 && $0 < 1 } && Set(first).count > 90)
  }

  /// A 2-2-2 network whose first hidden unit's pre-activation is exactly 0: alpha = 0 and alpha = 1
  /// give different gradients exactly in that unit's incoming weights and bias; elsewhere identical.
  @Test func exactZeroChangesExactlyTheExpectedGradients() {
    func net(_ alpha: Double) -> Network<Float> {
      Network(layers: [
        .linear(Linear(weight: Tensor(shape: [2, 2], doubles: [1, -1, 0.5, 0.25]), bias: Tensor(shape: [2], doubles: [0, 0.125])), name: "0"),
        .activation(.relu(alpha)),
        .linear(Linear(weight: Tensor(shape: [2, 2], doubles: [0.75, -0.5, 0.25, 1]), bias: Tensor(shape: [2], doubles: [0, 0])), name: "2"),
      ])
    }
    let x = Tensor<Float>(shape: [1, 2], doubles: [1.5, 1.5])  // unit 0: 1.5 − 1.5 + 0 = 0 exactly
    let plan = KernelPlan()
    var (net0, net1) = (net(0), net(1))
    let g0 = net0.lossAndGradients(x, labels: [1], plan)
    let g1 = net1.lossAndGradients(x, labels: [1], plan)
    let (weight0, bias0, weight1) = (0, 1, 2)  // parameterNames order
    #expect(g0.kinks == [1])
    #expect(g0.loss == g1.loss)
    #expect(g0.gradients[weight1].storage == g1.gradients[weight1].storage)
    #expect(g0.gradients[weight0].storage[0...1] != g1.gradients[weight0].storage[0...1])
    #expect(g0.gradients[weight0].storage[2...3] == g1.gradients[weight0].storage[2...3])
    #expect(g0.gradients[bias0][0] != g1.gradients[bias0][0])
    #expect(g0.gradients[bias0][1] == g1.gradients[bias0][1])
    #expect(g0.gradients[weight0].storage[0...1].allSatisfy { $0 == 0 })
  }

  @Test func parameterNamesFollowSequential() {
    let a: Network<Float> = MLP.make(widths: [784, 256, 256, 10], seed: 1)
    #expect(a.parameterNames == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"])
    let b: Network<Float> = MLP.make(widths: [784, 256, 256, 10], activateFirstLayer: false, seed: 1)
    #expect(b.parameterNames == ["0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"])
    let c: Network<Float> = MLP.make(widths: [784, 256, 256, 10], batchNorm: true, dropout: 0.5, seed: 1)
    #expect(c.parameterNames == ["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias", "5.weight", "5.bias", "8.weight", "8.bias"])
  }

  @Test func initialisationIsPyTorchsDefaultInBinary32() {
    let net: Network<Double> = MLP.make(widths: [100, 7], seed: 42)
    let bound = 0.1
    #expect(net.parameters[0].storage.allSatisfy { abs($0) <= bound && Double(Float($0)) == $0 })
    #expect(net.parameters[1].storage.allSatisfy { abs($0) <= bound })
    let again: Network<Double> = MLP.make(widths: [100, 7], seed: 42)
    #expect(again.parameters[0].storage == net.parameters[0].storage)
    // Mean near 0 and variance near bound²/3 for 700 draws.
    let w = net.parameters[0].storage
    let mean = w.reduce(0, +) / Double(w.count)
    let variance = w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(w.count)
    #expect(abs(mean) < 0.01 && abs(variance - bound * bound / 3) < 0.0008)
  }
}
