/// Progress through a long forward and backward pass, for a command that shows it (`grad` on a big
/// model in a slow format): while `report` is bound (`LayerProgress.$report.withValue(…) { … }`),
/// every layer a forward pass finishes and every layer a backward pass starts calls it once, on the
/// computing thread. Unbound (the studies, the sweeps), it costs one task-local read per layer.
public enum LayerProgress {
  @TaskLocal public static var report: (@Sendable () -> Void)?

  /// The calls one forward and one full backward pass through `layers` make: two per layer, residual
  /// blocks and their sub-layers included.
  public static func steps<T>(_ layers: [Layer<T>]) -> Int {
    2 * layers.reduce(0) { n, layer in
      if case .residual(let main, let shortcut) = layer { return n + 1 + steps(main) / 2 + steps(shortcut) / 2 }
      return n + 1
    }
  }
}
