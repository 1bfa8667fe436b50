import Foundation
import Networks
import Scalars
import Tensors
import Testing

@Suite struct OptimizerTests {
  static func tensor(_ values: [Double]) -> Tensor<Double> { Tensor(shape: [values.count], doubles: values) }

  @Test func sgdMomentumAndNesterovByHand() {
    var plain = Optimizer<Double>(.sgd(momentum: 0.5), learningRate: 0.25)
    var nesterov = Optimizer<Double>(.sgd(momentum: 0.5, nesterov: true), learningRate: 0.25)
    var a = [Self.tensor([1])], b = [Self.tensor([1])]
    let g = [Self.tensor([0.5])]
    plain.step(&a, g)
    nesterov.step(&b, g)
    #expect(a[0][0] == 0.875 && b[0][0] == 0.8125)
    plain.step(&a, g)
    nesterov.step(&b, g)
    #expect(a[0][0] == 0.6875)  // b = 0.5·0.5 + 0.5 = 0.75
    #expect(b[0][0] == 0.8125 - 0.25 * (0.5 + 0.5 * 0.75))
    var decayed = Optimizer<Double>(.sgd(weightDecay: 0.5), learningRate: 0.25)
    var c = [Self.tensor([2])]
    decayed.step(&c, [Self.tensor([0])])
    #expect(c[0][0] == 2 - 0.25 * 1)
  }

  /// Adam's first step moves each coordinate by lr·g/(|g| + ε): about lr against the gradient's sign.
  @Test func adamFirstStepIsTheLearningRate() {
    var adam = Optimizer<Double>(.adam(), learningRate: 0.01)
    var p = [Self.tensor([1, -2, 3])]
    adam.step(&p, [Self.tensor([0.5, -4, 1e-3])])
    for (got, want) in zip(p[0].storage, [0.99, -1.99, 2.99]) { #expect(abs(got - want) < 1e-7) }
  }

  /// AdamW with a zero gradient only decays: θ_t = θ₀·(1 − lr·wd)^t.
  @Test func adamWDecouplesWeightDecay() {
    var adamW = Optimizer<Double>(.adamW(weightDecay: 0.1), learningRate: 0.01)
    var p = [Self.tensor([3])]
    for _ in 0..<10 { adamW.step(&p, [Self.tensor([0])]) }
    #expect(abs(p[0][0] - 3 * pow(1 - 0.001, 10)) < 1e-14)
  }

  /// INNAprop against a line-by-line transcription of the reference update rule, and on a quadratic.
  @Test func innapropFollowsTheReference() {
    let (gamma, alpha, beta, sigma, eps, wd) = (0.05, 0.1, 0.9, 0.999, 1e-8, 0.01)
    var optimizer = Optimizer<Double>(.innaprop(alpha: alpha, beta: beta, sigma: sigma, epsilon: eps, weightDecay: wd), learningRate: gamma)
    var p = [Self.tensor([1, -0.5, 2])]
    var theta = [1, -0.5, 2.0]
    var v = [0.0, 0, 0]
    var psi = theta.map { (1 - alpha * beta) * $0 }
    for t in 1...6 {
      let g = theta.enumerated().map { $1 * Double($0 + 1) + Double(t) * 0.01 }
      optimizer.step(&p, [Self.tensor(g)])
      for i in 0..<3 {
        theta[i] = theta[i] * (1 - gamma * wd)
        v[i] = sigma * v[i] + (1 - sigma) * g[i] * g[i]
        let denominator = v[i].squareRoot() / (1 - pow(sigma, Double(t))).squareRoot() + eps
        psi[i] = (1 - gamma / beta) * psi[i] + gamma * (1 / beta - alpha) * theta[i]
        theta[i] = (1 + gamma * (1 - beta * alpha) / (beta - gamma)) * theta[i] - (gamma / (beta - gamma)) * psi[i] - gamma * beta * g[i] / denominator
      }
      #expect(p[0].storage == theta, "step \(t)")
    }
    var quadratic = Optimizer<Double>(.innaprop(weightDecay: 0), learningRate: 0.01)
    var q = [Self.tensor([5])]
    for _ in 0..<3000 { quadratic.step(&q, [Self.tensor([q[0][0]])]) }
    #expect(abs(q[0][0]) < 0.5)
  }

  @Test func schedules() {
    let cosine = LearningRateSchedule.cosine(totalSteps: 100, minimum: 0.01)
    #expect(cosine.rate(0.1, step: 0) == 0.1 && abs(cosine.rate(0.1, step: 100) - 0.01) < 1e-17)
    #expect(abs(cosine.rate(0.1, step: 50) - 0.055) < 1e-15)
    #expect(LearningRateSchedule.step(every: 10, gamma: 0.5).rate(1, step: 25) == 0.25)
  }

  /// bfloat16 model, binary32 master weights, loss scaling: the loss falls; an overflowing scaled
  /// gradient skips the step and halves a dynamic scale.
  @Test func mixedPrecisionTraining() {
    var model: Network<BFloat16> = MLP.make(widths: [4, 8, 3], seed: 3)
    let x = Tensor<BFloat16>(shape: [6, 4], doubles: (0..<24).map { Double($0 % 7) / 7 - 0.4 })
    let labels = [0, 1, 2, 0, 1, 2]
    let plan = KernelPlan(accumulate: .binary32)
    var trainer = MixedPrecisionTrainer(parameters: model.parameters, optimizer: Optimizer<Float>(.sgd(momentum: 0.9), learningRate: 0.1), scaling: LossScaling(static: 256))
    let before = model.loss(x, labels: labels, plan).doubleValue
    for _ in 0..<60 {
      let g = model.lossAndGradients(x, labels: labels, plan, lossScale: trainer.lossScale).gradients
      if let updated = trainer.step(scaledGradients: g, as: BFloat16.self) { model.parameters = updated }
    }
    #expect(model.loss(x, labels: labels, plan).doubleValue < 0.5 * before)
    // An overflowing scaled gradient: the step is skipped and a dynamic scale backs off.
    var dynamic = MixedPrecisionTrainer(parameters: model.parameters, optimizer: Optimizer<Float>(.sgd(), learningRate: 0.1), scaling: .gradScaler)
    var g = model.lossAndGradients(x, labels: labels, plan, lossScale: 65536).gradients
    g[0].storage[0] = BFloat16(Double.infinity)
    #expect(dynamic.step(scaledGradients: g, as: BFloat16.self) == nil)
    #expect(dynamic.skippedSteps == 1 && dynamic.lossScale == 32768 && dynamic.scaling.growthTracker == 0)
  }
}
