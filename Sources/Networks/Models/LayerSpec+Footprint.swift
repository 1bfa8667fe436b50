import Foundation

extension LayerSpec {
  /// How many values a layout holds: its parameters, and the activations one sample leaves for the
  /// backward pass (every layer's output), followed from `input` through every layer. An estimate for
  /// refusing models that cannot fit in memory, not an account of the allocator; nil when a count
  /// overflows `Int`.
  public static func footprint(_ specs: [LayerSpec], input: [Int]) -> (parameters: Int, activations: Int)? {
    var shape = input
    var parameters = 0, activations = 0
    guard walk(specs, &shape, &parameters, &activations) else { return nil }
    return (parameters, activations)
  }

  private static func walk(_ specs: [LayerSpec], _ shape: inout [Int], _ parameters: inout Int, _ activations: inout Int) -> Bool {
    func product(_ values: [Int]) -> Int? {
      var p = 1
      for v in values {
        let (q, overflow) = p.multipliedReportingOverflow(by: v)
        if overflow { return nil }
        p = q
      }
      return p
    }
    func add(_ total: inout Int, _ values: Int...) -> Bool {
      guard let n = product(values) else { return false }
      let (s, overflow) = total.addingReportingOverflow(n)
      total = s
      return !overflow
    }
    func plane(_ size: Int, _ kernel: Int, _ stride: Int, _ padding: Int) -> Int { max(1, (size + 2 * padding - kernel) / max(stride, 1) + 1) }
    for spec in specs {
      switch spec {
      case .linear(let i, let o, _):
        guard add(&parameters, i, o), add(&parameters, o) else { return false }
        shape = [o]
      case .conv(let i, let o, let k, let s, let p, let bias, _, _):
        guard add(&parameters, o, i, k, k), add(&parameters, bias ? o : 0) else { return false }
        shape = shape.count == 3 ? [o, plane(shape[1], k, s, p), plane(shape[2], k, s, p)] : [o]
      case .batchNorm(let c, _):
        guard add(&parameters, 2, c) else { return false }
      case .maxPool(let m):
        if shape.count == 3 { shape = [shape[0], plane(shape[1], m.kernel, m.stride, m.padding), plane(shape[2], m.kernel, m.stride, m.padding)] }
      case .avgPool(let a):
        if shape.count == 3 {
          shape = a.kernel.map { k in [shape[0], plane(shape[1], k, a.stride ?? k, 0), plane(shape[2], k, a.stride ?? k, 0)] } ?? [shape[0], 1, 1]
        }
      case .flatten:
        guard let n = product(shape) else { return false }
        shape = [n]
      case .activation, .gelu, .dropout:
        break
      case .residual(let main, let shortcut):
        var side = shape
        guard walk(main, &shape, &parameters, &activations), walk(shortcut, &side, &parameters, &activations) else { return false }
      }
      guard let n = product(shape), add(&activations, n) else { return false }
    }
    return true
  }
}
