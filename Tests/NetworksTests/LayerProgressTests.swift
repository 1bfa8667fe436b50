import Foundation
import Networks
import Scalars
import Tensors
import Testing

/// `LayerProgress`: a forward and backward pass report once per layer each way (residual blocks and
/// their sub-layers included), as many times as `steps` says.
@Suite struct LayerProgressTests {
  final class Calls: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return n }
  }

  @Test(arguments: ["mlp", "vgg", "resnet"])
  func everyLayerReportsOnceEachWay(model: String) {
    let specs: [String: (ModelSpec, [Int])] = [
      "mlp": (.mlp(widths: [12, 5, 5, 3]), [4, 12]),
      "vgg": (.vgg(VGG.configuration("4-M-6")!, input: [2, 6, 6], classes: 3, batchNorm: true), [4, 2, 6, 6]),
      "resnet": (.resnet(blocks: [1, 1], input: [2, 6, 6], classes: 3, widthMultiplier: 1.0 / 16), [4, 2, 6, 6]),
    ]
    let (spec, shape) = specs[model]!
    var network: Network<Double> = spec.make(seed: 3)
    let x = Tensor<Double>(shape: shape, doubles: (0..<shape.reduce(1, *)).map { Double($0 % 7) / 7 - 0.4 })
    let labels = [0, 1, 2, 0]
    let calls = Calls()
    let plan = KernelPlan()
    _ = LayerProgress.withReport({ calls.add() }) { network.lossAndGradients(x, labels: labels, plan) }
    let steps = LayerProgress.steps(network.layers)
    #expect(calls.count == steps, "\(calls.count) reports for \(steps) steps")
  }
}
