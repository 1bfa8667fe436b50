import Foundation
@testable import Networks
import Scalars
import Tensors
import Testing

/// Precision policies against PyTorch's CPU autocast (Fixtures/autocast-torch.json,
/// make_autocast_fixture.py), and by inspection: which format each operation of a small network wrote.
@Suite struct PrecisionPolicyTests {
  struct Case: Decodable {
    let format: String
    let widths: [Int]
    let batch: Int
    let x: [UInt32]
    let labels: [Int]
    let weights, biases, weight_grads, bias_grads: [[UInt32]]
    let logits: [UInt32]
    let loss: UInt32
  }
  struct Fixture: Decodable { let cases: [Case] }

  static let fixture: Fixture = try! JSONDecoder().decode(
    Fixture.self,
    from: Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/autocast-torch.json")))

  static func floats(_ bits: [UInt32], _ shape: [Int]) -> Tensor<Float> { Tensor(shape: shape, storage: bits.map(Float.init(bitPattern:))) }

  /// The fixture's MLP (nn.Linear layers with ReLU between them) in PrecisionLab.
  static func network(_ c: Case) -> Network<Float> {
    var layers: [Layer<Float>] = []
    for i in 0..<(c.widths.count - 1) {
      if i > 0 { layers.append(.activation(.relu())) }
      let linear = Linear(weight: floats(c.weights[i], [c.widths[i + 1], c.widths[i]]), bias: floats(c.biases[i], [c.widths[i + 1]]))
      layers.append(.linear(linear, name: "\(2 * i)"))
    }
    return Network(layers: layers)
  }

  static func plan(_ policy: String?) -> KernelPlan {
    var plan = KernelPlan()
    plan.policy = policy.map { PrecisionPolicy(name: $0)! }
    return plan
  }

  /// Logits and every parameter gradient equal PyTorch's CPU autocast bit for bit, in binary16 and
  /// bfloat16; the loss (softmax in binary32, each implementation its own) within 2 units. The same
  /// network without the policy does not give PyTorch's values (so the comparison sees the policy).
  @Test(arguments: [("binary16", "autocast-cpu-fp16"), ("bfloat16", "autocast-cpu-bf16")])
  func matchesPyTorchAutocast(format: String, policy: String) throws {
    let c = try #require(Self.fixture.cases.first { $0.format == format })
    let x = Self.floats(c.x, [c.batch, c.widths[0]])
    var net = Self.network(c)
    let forward = net.forwardPass(x, Self.plan(policy))
    #expect(forward.logits.storage.map(\.bitPattern) == c.logits)
    let (loss, gradients, _) = net.lossAndGradients(x, labels: c.labels, Self.plan(policy))
    let torchLoss = Float(bitPattern: c.loss)
    #expect(abs(loss - torchLoss) <= 2 * torchLoss.ulp, "loss \(loss), PyTorch \(torchLoss)")
    let want = zip(c.weight_grads, c.bias_grads).flatMap { [$0, $1] }
    #expect(gradients.count == want.count)
    for (i, (ours, theirs)) in zip(gradients, want).enumerated() {
      #expect(ours.storage.map(\.bitPattern) == theirs, "gradient \(i) (\(net.parameterNames[i]))")
    }
    var pure = Self.network(c)
    let plain = pure.lossAndGradients(x, labels: c.labels, Self.plan(nil)).gradients
    #expect(zip(plain, want).contains { $0.storage.map(\.bitPattern) != $1 }, "binary32 alone gives autocast's gradients")
  }

  static func representable(_ t: Tensor<Float>, in format: FloatFormat) -> Bool {
    OperandRounding(format: format).rounded(t).storage == t.storage
  }

  /// Every tensor a layer kept as its input, nested layers' included, in forward order.
  static func inputs(_ caches: [Network<Float>.Cache]) -> [Tensor<Float>] {
    caches.flatMap { cache -> [Tensor<Float>] in
      switch cache {
      case .input(let x): [x]
      case .residual(let main, let shortcut): inputs(main) + inputs(shortcut)
      default: []
      }
    }
  }

  /// Under the autocast presets every layer's input but the network's own (each layer's output, the
  /// residual blocks' inner layers' included) holds low-format values, and so do the logits; the
  /// dense and convolution layers' parameter gradients hold low-format values, batch norm's (binary32
  /// parameters) do not. Without a policy, neither holds.
  @Test(arguments: [("autocast-cuda-fp16", FloatFormat.binary16), ("autocast-cpu-bf16", .bfloat16)])
  func eachOperationWritesItsFormat(policy: String, low: FloatFormat) throws {
    let models = [
      (ModelSpec.mlp(widths: [20, 12, 8, 5]), [20]),
      (ModelSpec.resnet(blocks: [1, 1], input: [1, 8, 8], classes: 5, batchNorm: true, widthMultiplier: 1.0 / 16), [1, 8, 8]),
    ]
    for (spec, shape) in models {
      var net: Network<Float> = spec.make(seed: 4)
      let x = Tensor<Float>(shape: [6] + shape, doubles: (0..<(6 * shape.reduce(1, *))).map { sin(Double($0) * 0.37) })
      let labels = [0, 1, 2, 3, 4, 0]
      let forward = net.forwardPass(x, Self.plan(policy))
      let kept = Self.inputs(forward.caches)
      #expect(kept.count > 3)
      for (k, t) in kept.enumerated().dropFirst() { #expect(Self.representable(t, in: low), "\(spec) input \(k) of \(kept.count)") }
      #expect(Self.representable(forward.logits, in: low))
      let gradients = net.lossAndGradients(x, labels: labels, Self.plan(policy)).gradients
      for (name, g) in zip(net.parameterNames, gradients) {
        let normalization = name.contains("bn") || name.contains("shortcut.1")
        #expect(Self.representable(g, in: low) != normalization, "\(spec) \(name)")
      }
      let plain = net.forwardPass(x, Self.plan(nil))
      #expect(!Self.representable(plain.logits, in: low))
      #expect(Self.inputs(plain.caches).dropFirst().contains { !Self.representable($0, in: low) })
    }
  }

  /// `:ends-fp32`: the first dense layer computes what the binary32 network computes (bit for bit), the
  /// logits are binary32, the layers between stay in the low format; `:norm-fp32` leaves batch norm's
  /// output in binary32.
  @Test func overrides() throws {
    var net: Network<Float> = ModelSpec.mlp(widths: [20, 12, 8, 5]).make(seed: 9)
    let x = Tensor<Float>(shape: [6, 20], doubles: (0..<120).map { cos(Double($0) * 0.21) })
    let ends = net.forwardPass(x, Self.plan("autocast-cuda-fp16:ends-fp32"))
    let plain = net.forwardPass(x, Self.plan(nil))
    #expect(net.output(ofLayer: 0, ends).storage == net.output(ofLayer: 0, plain).storage)
    #expect(!Self.representable(net.output(ofLayer: 0, ends), in: .binary16))
    #expect(Self.representable(net.output(ofLayer: 2, ends), in: .binary16))
    #expect(!Self.representable(ends.logits, in: .binary16))

    let spec = ModelSpec.mlp(widths: [20, 12, 8, 5], batchNorm: true)
    var bn: Network<Float> = spec.make(seed: 9)
    let layers = bn.layers.map(\.operation)
    let k = try #require(layers.firstIndex(of: .normalization))
    #expect(layers[k - 1] == .product)
    let lowered = bn.forwardPass(x, Self.plan("autocast-cuda-fp16"))
    let wide = bn.forwardPass(x, Self.plan("autocast-cuda-fp16:norm-fp32"))
    #expect(Self.representable(bn.output(ofLayer: k, lowered), in: .binary16))
    #expect(!Self.representable(bn.output(ofLayer: k, wide), in: .binary16))
  }

  @Test func namesRoundTrip() {
    for name in ["autocast-cuda-fp16", "autocast-cpu-bf16:ends-fp32", "fp8-training:ends-fp32:norm-fp32", "lower:tf32", "lower:e4m3:norm-fp32", "lower:ieee:11:127:ends-fp32"] {
      #expect(PrecisionPolicy(name: name)?.description == name)
    }
    for bad in ["autocast", "lower", "lower:nonsense", "autocast-cuda-fp16:ends-fp32:ends-fp32", "fp8-training:fast", "lower:ieee:11"] {
      #expect(PrecisionPolicy(name: bad) == nil, "\(bad)")
    }
  }
}
