import Datasets
import Experiments
import Foundation
import Networks
import Scalars
import Tensors
import TestSupport
import Testing

/// `--summation tree:FILE` replays PyTorch's CPU arithmetic bit for bit: with the trees
/// `scripts/reveal-torch-gemm.py` read on an AMD EPYC (AVX2, MKL, one thread;
/// experiments/arithmetic/), PyTorch's θ (`--init torch`) and the first 20 MNIST batches, every
/// dense layer's output equals what PyTorch computed (Fixtures/make_torch_mlp_arithmetic.py stored
/// its SHA-256), and so does every weight gradient backpropagated from PyTorch's own gradient of the
/// loss with respect to the logits. The trees are data: the replay runs on any CPU.
@Suite struct TorchArithmeticTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
  static let trees = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("experiments/arithmetic/pytorch-cpu-amd-epyc-avx2-1thread.json").path

  struct Expected: Decodable {
    var seed: UInt64
    var batch: Int
    var widths: [Int]
    var forward: [[String]]
    var weight_gradients: [[String]]
  }

  static func digest(_ t: Tensor<Float>) -> String {
    SHA256.hex(t.storage.flatMap { f -> [UInt8] in withUnsafeBytes(of: f.bitPattern.littleEndian, Array.init) })
  }

  /// The network's dense outputs (the inputs of its ReLUs, then the logits) for one batch.
  static func outputs(_ network: Network<Float>, _ pass: Network<Float>.ForwardPass) -> [Tensor<Float>] {
    network.activationInputs(pass) + [pass.logits]
  }

  func replay(_ plan: KernelPlan) throws -> (forward: [[String]], weights: [[String]], expected: Expected) {
    let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixtures.appendingPathComponent("torch-mlp-arithmetic.json")))
    let gradients = try SafetensorsFile.read(from: Self.fixtures.appendingPathComponent("torch-mlp-arithmetic.safetensors").path)
    let dataDirectory = (try #require(Integration.sharedMNIST, Comment(rawValue: Integration.noMNIST)) as NSString).deletingLastPathComponent
    let mnist = try DatasetDescriptor.mnist.load(from: dataDirectory).train
    guard case .bytes(let pixels) = mnist.samples else { throw ParameterError("MNIST is not bytes") }
    var spec = ModelSpec.mlp(widths: expected.widths)
    spec.draws = .torch
    var network: Network<Float> = spec.make(seed: expected.seed)
    var forward: [[String]] = [], weights: [[String]] = []
    for b in expected.forward.indices {
      let rows = b * expected.batch..<(b + 1) * expected.batch
      // k/255 correctly rounded in binary32, as torch's uint8 tensor / 255.0.
      let x = Tensor<Float>(shape: [expected.batch, 784], storage: pixels[rows.lowerBound * 784..<rows.upperBound * 784].map { Float($0) / 255 })
      let pass = network.forwardPass(x, plan)
      forward.append(Self.outputs(network, pass).map(Self.digest))
      if b < expected.weight_gradients.count {
        let dLogits: Tensor<Float> = try gradients.tensor("dlogits-\(b)", as: Float.self)
        let grads = network.backward(pass, dLogits: dLogits, plan)
        weights.append(stride(from: 0, to: grads.count, by: 2).map { Self.digest(grads[$0]) })
      }
    }
    return (forward, weights, expected)
  }

  @Test(.enabled(if: Integration.runs(Integration.sharedMNIST != nil), Comment(rawValue: Integration.noMNIST)))
  func denseLayersArePyTorchsBitForBit() throws {
    var plan = KernelPlan()
    plan.trees = try ProductTreesFile.load(Self.trees)
    let (forward, weights, expected) = try replay(plan)
    for (b, (ours, theirs)) in zip(forward, expected.forward).enumerated() {
      #expect(ours == theirs, "batch \(b): dense outputs equal PyTorch's in layers \(zip(ours, theirs).map { $0 == $1 })")
    }
    for (b, (ours, theirs)) in zip(weights, expected.weight_gradients).enumerated() {
      #expect(ours == theirs, "batch \(b): weight gradients equal PyTorch's in layers \(zip(ours, theirs).map { $0 == $1 })")
    }
  }

  /// The check can fail: PrecisionLab's default arithmetic (sequential, bias last) is not PyTorch's.
  @Test(.enabled(if: Integration.runs(Integration.sharedMNIST != nil), Comment(rawValue: Integration.noMNIST)))
  func theDefaultArithmeticIsNot() throws {
    let (forward, _, expected) = try replay(KernelPlan())
    #expect(forward[0][0] != expected.forward[0][0])
  }
}
