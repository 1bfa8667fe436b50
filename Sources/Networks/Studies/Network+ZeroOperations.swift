import Scalars
import Tensors

/// An exact zero at the input of an activation that follows a dense layer, and the last operation of
/// the sum that made it (`LastStep`): `left ⊕ right` came out zero.
public struct ZeroOperation: Sendable, Hashable {
  /// The batch, the activation layer (0 for the first, as `zeros_per_layer` counts them), the sample in
  /// the batch and the unit.
  public var batch: Int
  public var layer: Int
  public var sample: Int
  public var unit: Int
  public var step: LastStep
  /// The unit's bias, and the number of trailing zero bits of its significand in the storage format
  /// (0 for a bias using every bit; PyTorch's initialisation leaves several: the grid it lives on).
  public var bias: Double
  public var biasTrailingZeros: Int

  public init(batch: Int, layer: Int, sample: Int, unit: Int, step: LastStep, bias: Double, biasTrailingZeros: Int) {
    self.batch = batch
    self.layer = layer
    self.sample = sample
    self.unit = unit
    self.step = step
    self.bias = bias
    self.biasTrailingZeros = biasTrailingZeros
  }
}

extension Network {
  /// The zeros of a forward pass at the activations that directly follow a dense layer (top-level
  /// layers: MLPs), each with its last operation recomputed from the layer's stored input, weight and
  /// bias under `plan` (its operand rounding, accumulation and order, or its trees for that product).
  /// At most `limit` of them, in layer, sample and unit order.
  public func zeroOperations(_ forward: ForwardPass, batch: Int, plan: KernelPlan, limit: Int) -> [ZeroOperation] {
    var out: [ZeroOperation] = []
    var activation = 0
    for k in layers.indices {
      guard case .activation = layers[k] else { continue }
      defer { activation += 1 }
      guard k > 0, case .linear(let linear, _) = layers[k - 1], case .input(let x) = forward.caches[k - 1],
        case .input(let z) = forward.caches[k]
      else { continue }
      let (m, inputs, outputs) = (x.shape[0], linear.inputs, linear.outputs)
      let (xs, ws) = (plan.operand(x, along: 1), plan.operand(linear.weight, along: 1))
      let parts = plan.trees?.products[ProductTrees.Shape(.forward, m: m, n: outputs, k: inputs)]
      for b in 0..<m {
        for o in 0..<outputs where z.storage[b * outputs + o].isZero {
          guard out.count < limit else { return out }
          let options = parts?.first { $0.columns.contains { $0.contains(o) } }?.options ?? plan.options
          let step = xs.storage.withUnsafeBufferPointer { xp in
            ws.storage.withUnsafeBufferPointer { wp in
              DotProduct.lastStep(
                xp.baseAddress! + b * inputs, 1, wp.baseAddress! + o * inputs, 1, count: inputs, initial: linear.bias.storage[o],
                options: options, plan: plan)
            }
          }
          guard let step else { continue }
          let bias = linear.bias.storage[o].doubleValue
          out.append(ZeroOperation(
            batch: batch, layer: activation, sample: b, unit: o, step: step, bias: bias,
            biasTrailingZeros: Self.trailingZeros(bias, precision: T.format.precision)))
        }
      }
    }
    return out
  }

  /// Trailing zero bits of x's significand written with `precision` bits (x normal in that format).
  static func trailingZeros(_ x: Double, precision: Int) -> Int {
    guard x != 0, x.isFinite else { return precision - 1 }
    let used = x.significandWidth  // fraction bits after the leading one, in binary64
    return max(precision - 1 - used, 0)
  }
}
