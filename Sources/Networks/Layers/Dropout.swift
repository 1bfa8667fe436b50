import Scalars
import Tensors

/// Inverted dropout: in training each element is kept with probability 1 − p and scaled by 1/(1 − p)
/// (one rounded product), else zeroed. The keep/drop draw for (seed, layer, step, element) is fixed by
/// a counter-based generator, so runs are reproducible for any thread count. Evaluation is the
/// identity.
public struct Dropout: Sendable, Hashable {
  public var probability: Double
  public var seed: UInt64

  public init(probability: Double, seed: UInt64 = 0) {
    precondition(probability >= 0 && probability < 1, "dropout probability \(probability) outside [0, 1)")
    self.probability = probability
    self.seed = seed
  }

  func keeps(count: Int, layer: Int, step: Int) -> [Bool] {
    (0..<count).map { CounterRandom.unit(seed, layer, step, $0) >= probability }
  }

  public func forward<T: PrecisionScalar>(_ x: Tensor<T>, layer: Int, step: Int) -> Tensor<T> {
    let keep = keeps(count: x.count, layer: layer, step: step)
    let scale = T(1 / (1 - probability))
    return Tensor(shape: x.shape, storage: zip(x.storage, keep).map { $1 ? $0 * scale : T(0) })
  }

  public func backward<T: PrecisionScalar>(_ gradOut: Tensor<T>, layer: Int, step: Int) -> Tensor<T> {
    forward(gradOut, layer: layer, step: step)
  }
}

extension Dropout: ParameterFreeLayer {
  /// One stream, numbered by the network, keys the mask.
  var randomStreams: Int { 1 }

  /// Drops in training only (evaluation is the identity).
  func forward<T: PrecisionScalar>(_ x: Tensor<T>, _ context: inout Network<T>.ForwardContext) -> (Tensor<T>, Network<T>.Cache) {
    defer { context.stream += 1 }
    return (context.pass.training ? forward(x, layer: context.stream, step: context.pass.step) : x, .none)
  }

  func backward<T: PrecisionScalar>(
    _ cache: Network<T>.Cache, _ g: Network<T>.Lanes, _ context: inout Network<T>.BackwardContext
  ) -> Network<T>.Lanes? {
    context.stream -= 1
    guard context.passDown else { return nil }
    guard context.pass.training else { return g }
    let (layer, step) = (context.stream, context.pass.step)
    return g.map { backward($0, layer: layer, step: step) }
  }

  func layer<T: PrecisionScalar>(as _: T.Type) -> Layer<T> { .dropout(self) }
}
