import Foundation
import Networks
import Scalars
import Tensors
import Testing

/// `--init torch` draws PyTorch's own θ: the parameters PyTorch 2.13 drew after `torch.manual_seed`
/// (written by Fixtures/make_torch_init.py), bit for bit, for a 64-bit trial seed (PyTorch keeps its
/// low 32 bits), seed 0, and a convolution; PrecisionLab's own draws stay what they were.
@Suite struct TorchInitTests {
  static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/torch-init.safetensors").path

  static func bits(_ t: Tensor<Float>) -> [UInt32] { t.storage.map(\.bitPattern) }

  @Test(arguments: [UInt64(5_259_461_931_318_015), 0])
  func mlpIsPyTorchsBitForBit(seed: UInt64) throws {
    let file = try SafetensorsFile.read(from: Self.fixture)
    let spec = ModelSpec(architecture: .mlp(widths: [784, 16, 10], activateFirstLayer: true, dropout: nil), input: [784], classes: 10, batchNorm: false, draws: .torch)
    let network: Network<Float> = spec.make(seed: seed)
    #expect(network.parameterNames == ["0.weight", "0.bias", "2.weight", "2.bias"])
    for (name, parameter) in zip(network.parameterNames, network.parameters) {
      let torch: Tensor<Float> = try file.tensor("mlp-\(seed).\(name)", as: Float.self)
      #expect(torch.shape == parameter.shape && Self.bits(torch) == Self.bits(parameter), "\(name)")
    }
  }

  @Test func convolutionIsPyTorchsBitForBit() throws {
    let file = try SafetensorsFile.read(from: Self.fixture)
    var initializer = Initializer(seed: 3, draws: .torch)
    let conv = initializer.conv2d(inputs: 3, outputs: 8, kernel: 3, as: Float.self)
    #expect(Self.bits(conv.weight) == Self.bits(try file.tensor("conv-3.weight", as: Float.self)))
    #expect(Self.bits(try #require(conv.bias)) == Self.bits(try file.tensor("conv-3.bias", as: Float.self)))
  }

  @Test func theTwoGeneratorsDrawOnDifferentGrids() {
    // Fan-in 256: PyTorch's bounds are ±2⁻⁴, so every draw fma(u, 2⁻³, −2⁻⁴) with u a multiple of
    // 2⁻²⁴ is a multiple of 2⁻²⁷; PrecisionLab's 53-bit draws rounded once to binary32 fill the finer
    // grid of binary32 (ulp 2⁻²⁸ just below 2⁻⁴) too.
    var torchSpec = ModelSpec.mlp(widths: [256, 16, 10])
    torchSpec.draws = .torch
    let theirs: Network<Float> = torchSpec.make(seed: 1)
    let ours: Network<Float> = ModelSpec.mlp(widths: [256, 16, 10]).make(seed: 1)
    func offGrid(_ n: Network<Float>) -> Int {
      (n.parameters[0].storage + n.parameters[1].storage).filter { ($0 * 0x1p27).rounded() != $0 * 0x1p27 }.count
    }
    #expect(offGrid(theirs) == 0)
    #expect(offGrid(ours) > 256 * 16 / 10, "\(offGrid(ours)) of \(256 * 16 + 16) off the grid")
  }
}
