import Datasets
import Networks
import Scalars
import Tensors
import Testing

/// The last operation recorded for each exact zero (`Network.zeroOperations`) is one that makes zero:
/// its operands, recomputed by the generic loop, add in the accumulation format (binary32) to a value
/// that rounds to zero in the storage format (E4M3: exact cancellation, or a sum below its smallest
/// subnormal), for every summation order and bias placement, while the zeros themselves came from the
/// fast kernels.
@Suite struct ZeroOperationTests {
  static let data = Synthetic.images(count: 64, classes: 10, shape: [1, 8, 8], seed: 5)

  @Test func lastOperationsCancel() {
    let orders: [KernelOptions.SummationOrder] = [
      .sequential, .blocked(8), .split(3), .pairwise, .lanes(4), .kahan, .neumaier, .tensorCore(.init(terms: 4, window: 24)),
    ]
    var seen: Set<LastStep.Kind> = []
    for order in orders {
      for biasFirst in [false, true] {
        var plan = KernelPlan(accumulate: .binary32, options: KernelOptions(order: order, biasFirst: biasFirst))
        plan.threads = 1
        var total = 0, recorded = 0
        for seed in UInt64(0)..<4 {
          var initializer = Initializer(seed: seed)
          var net = Network(layers: LayerSpec.materialize(MLP.layout(widths: [64, 48, 32, 10]), &initializer, as: E4M3.self))
          let (x, _) = Preprocessing().batch(Self.data, indices: Array(0..<64), as: E4M3.self)
          let forward = net.forwardPass(x.reshaped([64, 64]), plan)
          total += forward.kinks.reduce(0, +)
          let zeros = net.zeroOperations(forward, batch: 0, plan: plan, limit: 100_000)
          recorded += zeros.count
          for z in zeros {
            seen.insert(z.step.kind)
            let (l, r) = (Float(z.step.left), Float(z.step.right))
            switch z.step.kind {
            case .bias, .product, .block, .halves, .lanes, .compensated:
              #expect(Double(l) == z.step.left && E4M3(Double(l + r)).isZero, "\(order) bias first \(biasFirst): \(z)")
            case .single: #expect(E4M3(Double(r)).isZero, "\(z)")
            case .group:
              // The group's fused addition: the model applied to (accumulator, exact group sum).
              guard case .tensorCore(let model) = order else { Issue.record("group step under \(order)"); continue }
              let one = MultiTermAccumulation(terms: 1, window: model.window, towardZero: model.towardZero, alignment: .productsFirst)
              let sum = [z.step.right].withUnsafeBufferPointer { one.add($0, to: l) }
              #expect(E4M3(Double(sum)).isZero, "\(z)")
            }
            if biasFirst { #expect(z.step.kind != .bias) } else { #expect(z.step.kind == .bias || z.step.kind == .single) }
          }
        }
        #expect(total > 0, "no zeros under \(order) to check")
        #expect(recorded == total, "\(order) bias first \(biasFirst): \(recorded) recorded of \(total) zeros")
      }
    }
    #expect(seen.isSuperset(of: [.bias, .product, .block, .halves, .lanes, .compensated, .group]), "\(seen)")
  }
}
