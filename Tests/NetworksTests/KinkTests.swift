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
