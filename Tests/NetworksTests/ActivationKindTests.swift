import Foundation
import Networks
import Scalars
import Tensors
import Testing

/// `--activation`: the spellings, and leaky ReLU and ReLU6 against PyTorch's CPU forward and backward in
/// binary32 bit for bit (Fixtures/make_activation_fixture.py), with the derivative PyTorch takes at the
/// kinks (the slope at 0 for leaky_relu, 0 at both kinks for relu6).
@Suite struct ActivationKindTests {
  struct Case: Decodable {
    let activation: String
    let x, y: [UInt32]
    let grad_out, grad_in: [UInt32]
  }
  struct Fixture: Decodable { let cases: [Case] }

  static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/activations-torch.json")

  @Test func spellings() {
    #expect(ActivationKind(name: "relu") == .relu)
    #expect(ActivationKind(name: "relu6") == .relu6)
    #expect(ActivationKind(name: "leaky-relu") == .leakyReLU(slope: 0.01))
    #expect(ActivationKind(name: "leaky-relu:0.25")?.description == "leaky-relu:0.25")
    #expect(ActivationKind(name: "leaky-relu:-1e-3") == .leakyReLU(slope: -0.001))
    for bad in ["", "swish", "leaky-relu:", "leaky-relu:x", "leaky-relu:inf", "leaky-relu:nan", "relu:0.1"] {
      #expect(ActivationKind(name: bad) == nil, "\(bad)")
    }
    for kind in [ActivationKind.relu, .relu6, .leakyReLU(slope: 0.3)] { #expect(ActivationKind(name: kind.description) == kind) }
  }

  @Test func derivativeAtTheKinks() {
    #expect(ActivationKind.relu.activation(kink: 1, rule: .paper) == .relu(alpha: .constant(1), rule: .paper))
    #expect(ActivationKind.leakyReLU(slope: 0.5).activation(kink: 0, rule: .scale) == .leakyReLU(slope: 0.5, atZero: .constant(0), rule: .scale))
    #expect(ActivationKind.relu6.activation(kink: 1, rule: .scale) == .relu6(alpha: .constant(1), beta: .constant(1), rule: .scale))
  }

  @Test func pytorchForwardAndBackward() throws {
    let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.fixture))
    #expect(fixture.cases.count == 3)
    for c in fixture.cases {
      let kind = try #require(ActivationKind(name: c.activation))
      let torchKink: Double
      if case .leakyReLU(let slope) = kind { torchKink = slope } else { torchKink = 0 }
      let activation = try #require(kind.activation(kink: torchKink, rule: .scale))
      let x = Tensor<Float>(shape: [c.x.count], storage: c.x.map(Float.init(bitPattern:)))
      let g = Tensor<Float>(shape: [c.x.count], storage: c.grad_out.map(Float.init(bitPattern:)))
      #expect(activation.forward(x).storage.map(\.bitPattern) == c.y, "\(c.activation) forward")
      // Bit for bit, except that at a kink whose derivative is 0 the scale rule's 0·g is −0 for g < 0
      // where PyTorch selects +0: the same value (see ActivationKind).
      let ours = activation.backward(x, g).storage
      for i in 0..<x.count {
        let theirs = Float(bitPattern: c.grad_in[i])
        let kink = x.storage[i] == 0 || (kind == .relu6 && x.storage[i] == 6)
        if kink && torchKink == 0 {
          #expect(ours[i] == 0 && theirs.bitPattern == 0, "\(c.activation) backward at x = \(x.storage[i])")
        } else {
          #expect(ours[i].bitPattern == theirs.bitPattern, "\(c.activation) backward at x = \(x.storage[i]): \(ours[i]) against \(theirs)")
        }
      }
    }
  }
}
