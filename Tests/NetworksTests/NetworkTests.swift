import Datasets
import Networks
import Scalars
import Tensors
import Testing

/// Convolution, pooling, batch norm, dropout and residual blocks: backprop against central finite
/// differences in MPFR at 256 bits, model structure and PyTorch names.
@Suite struct NetworkTests {
  static let mpfr256 = try! FloatFormat.named("mpfr:256")

  static func inputs(_ shape: [Int], seed: UInt64) -> [Double] {
    var initializer = Initializer(seed: seed, format: .binary32)
    return (0..<shape.reduce(1, *)).map { _ in initializer.uniform(bound: 2) }
  }

  /// Largest |analytic − finite difference| over `samples` parameters (all when nil), with the
  /// largest gradient magnitude (to show the check is not vacuous).
  static func finiteDifferences(
    _ build: () -> Network<MPFRFloat>, input shape: [Int], classes: Int, pass: Network<MPFRFloat>.Pass = .init(training: true),
    samples: Int? = nil
  ) -> (worst: Double, largest: Double) {
    MPFRFloat.withFormat(mpfr256) {
      var net = build()
      let x = Tensor<MPFRFloat>(shape: shape, doubles: inputs(shape, seed: 8))
      let labels = (0..<shape[0]).map { $0 % classes }
      let plan = KernelPlan()
      let reference = net
      let (_, gradients, _) = net.lossAndGradients(x, labels: labels, plan, pass)
      let h = MPFRFloat(0x1p-60)
      var positions: [(Int, Int)] = []
      for (p, g) in gradients.enumerated() { for i in 0..<g.count { positions.append((p, i)) } }
      if let samples, samples < positions.count {
        let step = positions.count / samples
        positions = stride(from: 0, to: positions.count, by: step).map { positions[$0] }
      }
      var worst = 0.0
      for (p, i) in positions {
        func loss(_ delta: MPFRFloat) -> MPFRFloat {
          var copy = reference
          var parameters = copy.parameters
          parameters[p].storage[i] += delta
          copy.parameters = parameters
          return copy.loss(x, labels: labels, plan, pass)
        }
        let fd = (loss(h) - loss(-h)) / (MPFRFloat(2) * h)
        worst = max(worst, abs((fd - gradients[p].storage[i]).doubleValue))
      }
      return (worst, gradients.flatMap(\.storage).map { abs($0.doubleValue) }.max()!)
    }
  }

  @Test func convolutionPoolingAndLinear() {
    let r = Self.finiteDifferences({
      var i = Initializer(seed: 1)
      return Network(layers: [
        .conv(i.conv2d(inputs: 2, outputs: 3, kernel: 3, stride: 2, padding: 1, as: MPFRFloat.self), name: "c0"),
        .activation(.relu(0)),
        .maxPool(MaxPool2d(kernel: 2, stride: 1)),
        .conv(i.conv2d(inputs: 3, outputs: 2, kernel: 2, bias: false, as: MPFRFloat.self), name: "c1"),
        .activation(.leakyReLU(slope: 0.25, atZero: .constant(0), rule: .scale)),
        .avgPool(AvgPool2d(kernel: nil)),
        .linear(i.linear(inputs: 2, outputs: 3, as: MPFRFloat.self), name: "fc"),
      ])
    }, input: [2, 2, 7, 7], classes: 3)
    #expect(r.largest > 1e-3 && r.worst < 1e-30, "\(r)")
  }

  @Test func batchNormAndDropoutInTraining() {
    let r = Self.finiteDifferences({
      var i = Initializer(seed: 2)
      var bn = BatchNorm<MPFRFloat>(channels: 3)
      bn.gamma = Tensor(shape: [3], doubles: [1.5, 0.5, -1])
      bn.beta = Tensor(shape: [3], doubles: [0.25, 0, 1])
      return Network(layers: [
        .conv(i.conv2d(inputs: 1, outputs: 3, kernel: 3, padding: 1, as: MPFRFloat.self), name: "c"),
        .batchNorm(bn, name: "bn"),
        .activation(.relu(0)),
        .avgPool(AvgPool2d(kernel: 2)),
        .flatten,
        .dropout(Dropout(probability: 0.25, seed: 3)),
        .linear(i.linear(inputs: 12, outputs: 2, as: MPFRFloat.self), name: "fc"),
        .batchNorm(BatchNorm(channels: 2), name: "bn2"),
      ])
    }, input: [3, 1, 4, 4], classes: 2)
    #expect(r.largest > 1e-3 && r.worst < 1e-30, "\(r)")
  }

  @Test func tinyResNetAndVGG() {
    let resnet = Self.finiteDifferences({
      ModelSpec.resnet(blocks: [1, 1], input: [2, 6, 6], classes: 3, batchNorm: true, widthMultiplier: 1.0 / 16, stemMaxPool: true).make(seed: 4)
    }, input: [2, 2, 6, 6], classes: 3, samples: 40)
    #expect(resnet.largest > 1e-3 && resnet.worst < 1e-30, "\(resnet)")
    let vgg = Self.finiteDifferences({
      ModelSpec.vgg(VGG.configuration("3-M-4-M")!, input: [1, 5, 5], classes: 2, batchNorm: true).make(seed: 5)
    }, input: [2, 1, 5, 5], classes: 2, samples: 40)
    #expect(vgg.largest > 1e-3 && vgg.worst < 1e-30, "\(vgg)")
  }

  /// The paired backward pass (the bifurcation study's shortcut: the part above the first kink done
  /// once) gives exactly what two separate backward passes give, with every alternative activation,
  /// for every parameter or the first layer's alone, on an MLP, a VGG with batch norm and a ResNet.
  @Test(arguments: ["mlp", "vgg", "resnet"])
  func pairedBackwardEqualsTwoBackwardPasses(model: String) {
    let specs: [String: ModelSpec] = [
      "mlp": .mlp(widths: [72, 9, 9, 3]),
      "vgg": .vgg(VGG.configuration("4-M-6")!, input: [2, 6, 6], classes: 3, batchNorm: true),
      "resnet": .resnet(blocks: [1, 1], input: [2, 6, 6], classes: 3, widthMultiplier: 1.0 / 16),
    ]
    let spec = specs[model]!
    var kinksSeen = 0
    // Mostly-zero images in bfloat16 make exact zeros at the ReLU inputs likely.
    let images = Synthetic.images(count: 16, classes: 3, shape: [2, 6, 6], seed: 1)
    for seed: UInt64 in 0..<4 {
      var net: Network<BFloat16> = spec.make(seed: seed)
      let (x0, labels) = Preprocessing().batch(images, indices: Array(0..<16), as: BFloat16.self)
      let x = x0.reshaped([16] + spec.input)
      let plan = KernelPlan()
      let pass = Network<BFloat16>.Pass(training: true, step: 0)
      let forward = net.forwardPass(x, plan, pass)
      kinksSeen += forward.kinks.reduce(0, +)
      let dLogits = SoftmaxCrossEntropy.lossAndGradient(logits: forward.logits, labels: labels).gradient
      let alternative = Activation.relu(1)
      let a = net.backward(forward, dLogits: dLogits, plan, pass)
      let b = net.replacingActivations(with: alternative).backward(forward, dLogits: dLogits, plan, pass)
      let all = net.pairedBackward(forward, dLogits: dLogits, alternative: alternative, selection: .all, plan, pass)
      #expect(all.a.map(\.storage) == a.map(\.storage) && all.b.map(\.storage) == b.map(\.storage), "seed \(seed)")
      let first = net.pairedBackward(forward, dLogits: dLogits, alternative: alternative, selection: .firstLayer, plan, pass)
      let firstCount = first.a.count
      #expect(firstCount >= 1 && firstCount <= 2)
      #expect(first.a.map(\.storage) == a.prefix(firstCount).map(\.storage) && first.b.map(\.storage) == b.prefix(firstCount).map(\.storage))
    }
    #expect(kinksSeen > 0, "the inputs should hit the kink somewhere, or the comparison is vacuous")
  }

  @Test func pytorchNamesAndSizes() {
    let vgg: Network<Float> = ModelSpec.vgg(input: [3, 32, 32], classes: 10, batchNorm: true, widthMultiplier: 1.0 / 16).make(seed: 1)
    #expect(Array(vgg.parameterNames.prefix(5)) == ["features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias", "features.4.weight"])
    #expect(vgg.parameterNames.last == "classifier.bias")
    let resnet: Network<Float> = ModelSpec.resnet(input: [3, 32, 32], classes: 10, batchNorm: true, widthMultiplier: 1.0 / 16).make(seed: 1)
    let names = resnet.parameterNames
    #expect(Array(names.prefix(4)) == ["conv1.weight", "bn1.weight", "bn1.bias", "layer1.0.conv1.weight"])
    #expect(names.contains("layer2.0.shortcut.0.weight") && names.contains("layer4.1.bn2.bias") && !names.contains("layer1.0.shortcut.0.weight"))
    #expect(names.suffix(2) == ["linear.weight", "linear.bias"])
    // Parameter counts of the full-width CIFAR models, as published for the PyTorch implementations:
    // VGG11 with batch norm 9,231,114; ResNet18 11,173,962.
    func count(_ shapes: [[Int]]) -> Int { shapes.map { $0.reduce(1, *) }.reduce(0, +) }
    #expect(count(ModelSpec.vgg(input: [3, 32, 32], classes: 10, batchNorm: true).parameterShapes) == 9_231_114)
    #expect(count(ModelSpec.resnet(input: [3, 32, 32], classes: 10, batchNorm: true).parameterShapes) == 11_173_962)
  }

  /// ResNet's convolutions: kaiming_normal fan_out by default (std √(2 / fan_out): values beyond PyTorch's
  /// default bound occur), PyTorch's default `reset_parameters` with `convInit` (kaiming_uniform with
  /// a = √5: U(-1/√fan_in, 1/√fan_in), PyTorch's documented bound), no bias either way.
  @Test func resnetConvolutionInitialisation() {
    func convolutions(_ convInit: LayerSpec.ConvInit?) -> [(name: String, weight: [Float])] {
      var spec = ModelSpec.resnet(blocks: [1, 1], input: [3, 8, 8], classes: 10, widthMultiplier: 1.0 / 8)
      spec.convInit = convInit
      let net: Network<Float> = spec.make(seed: 3)
      return zip(net.parameterNames, net.parameters).filter { $0.0.contains("conv") || $0.0.contains("shortcut") }.map { ($0.0, $0.1.storage) }
    }
    let fanIn = ["conv1.weight": 3 * 9, "layer1.0.conv1.weight": 8 * 9, "layer2.0.conv1.weight": 8 * 9, "layer2.0.shortcut.0.weight": 8]
    for (name, weight) in convolutions(.pytorchDefault) {
      #expect(!name.hasSuffix(".bias"), "\(name): the paper's ResNet convolutions have no bias")
      if let fan = fanIn[name] {
        let bound = Float(1 / Double(fan).squareRoot())
        #expect(weight.allSatisfy { abs($0) <= bound } && weight.contains { abs($0) > bound / 2 }, "\(name) within ±1/√\(fan)")
      }
    }
    let kaiming = convolutions(nil)
    let first = kaiming.first { $0.name == "layer1.0.conv1.weight" }!.weight
    #expect(first.contains { abs($0) > Float(1 / Double(8 * 9).squareRoot()) }, "kaiming_normal fan_out is wider than PyTorch's default bound")
    #expect(kaiming.map(\.name) == convolutions(.pytorchDefault).map(\.name))
  }

  @Test func maxPoolTieRules() {
    let x = Tensor<Float>(shape: [1, 1, 2, 2], doubles: [1, 3, 3, 0])
    let g = Tensor<Float>(shape: [1, 1, 1, 1], doubles: [1])
    #expect(MaxPool2d(kernel: 2, ties: .first).backward(input: x, gradOut: g).doubles == [0, 1, 0, 0])
    #expect(MaxPool2d(kernel: 2, ties: .last).backward(input: x, gradOut: g).doubles == [0, 0, 1, 0])
    #expect(MaxPool2d(kernel: 2, ties: .split).backward(input: x, gradOut: g).doubles == [0, 0.5, 0.5, 0])
  }

  @Test func batchNormRunningStatistics() {
    var bn = BatchNorm<Double>(channels: 1)
    let x = Tensor<Double>(shape: [4, 1], doubles: [1, 2, 3, 6])
    let plan = KernelPlan()
    let (y, _) = bn.forward(x, training: true, plan)
    // mean 3, biased variance 3.5, unbiased 14/3
    #expect(abs(bn.runningMean[0] - 0.3) < 1e-15 && abs(bn.runningVariance[0] - (0.9 + 0.1 * 14 / 3)) < 1e-15)
    #expect(abs(y.storage.reduce(0, +)) < 1e-12)
    let (e, _) = bn.forward(x, training: false, plan)
    #expect(abs(e[0, 0] - (1 - 0.3) / (bn.runningVariance[0] + 1e-5).squareRoot()) < 1e-12)
  }
}

/// The MLP with batch norm and dropout, as a general network.
@Suite struct MLPVariantTests {
  @Test func namesAndGradients() {
    let specs = MLP.layout(widths: [6, 5, 4, 3], batchNorm: true, dropout: 0.25, dropoutSeed: 4)
    var initializer = Initializer(seed: 1)
    let net = Network<Float>(layers: LayerSpec.materialize(specs, &initializer, as: Float.self))
    #expect(net.parameterNames == ["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias", "5.weight", "5.bias", "8.weight", "8.bias"])
    let r = NetworkTests.finiteDifferences({
      var i = Initializer(seed: 2)
      return Network(layers: LayerSpec.materialize(specs, &i, as: MPFRFloat.self))
    }, input: [4, 6], classes: 3)
    #expect(r.largest > 1e-3 && r.worst < 1e-30, "\(r)")
  }

  /// The builder lays out Linear, activation, … and draws each Linear as PyTorch does, in order.
  @Test func plainLayoutIsLinearAndActivation() {
    let net: Network<Float> = MLP.make(widths: [7, 5, 3], seed: 8)
    var initializer = Initializer(seed: 8)
    let first = initializer.linear(inputs: 7, outputs: 5, as: Float.self), second = initializer.linear(inputs: 5, outputs: 3, as: Float.self)
    #expect(net.parameters.map(\.storage) == [first.weight.storage, first.bias.storage, second.weight.storage, second.bias.storage])
    guard net.layers.count == 3, case .linear = net.layers[0], case .activation(.relu(alpha: .constant(0), rule: .scale)) = net.layers[1],
      case .linear = net.layers[2]
    else {
      Issue.record("layout \(net.layers)")
      return
    }
  }
}
