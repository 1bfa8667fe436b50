import Scalars
import Tensors

/// Mean softmax cross-entropy over a batch, with a stable log-sum-exp, every operation rounded in the
/// run's format in this order (per row b, logits z, label y):
/// m = max_j z_j; s = Σ_j exp(z_j − m) (sequential in j); lse = m + log(s);
/// loss = (Σ_b (lse_b − z_{b,y_b})) / batch (sequential in b).
/// Gradient: (exp(z_j − lse) − [j = y]) / batch, the softmax taken from the log-softmax as PyTorch does.
public enum SoftmaxCrossEntropy {
  public static func lossAndGradient<T: PrecisionScalar>(logits z: Tensor<T>, labels: [Int]) -> (loss: T, gradient: Tensor<T>) {
    precondition(z.rank == 2 && z.shape[0] == labels.count, "logits \(z.shape) for \(labels.count) labels")
    let (batch, classes) = (z.shape[0], z.shape[1])
    let n = T(batch)
    var total = T(0)
    var gradient = [T]()
    gradient.reserveCapacity(z.count)
    for b in 0..<batch {
      let label = labels[b]
      precondition(label >= 0 && label < classes, "label \(label) outside 0..<\(classes)")
      let row = z.storage[(b * classes)..<((b + 1) * classes)]
      var m = row.first!
      for v in row where v > m { m = v }
      var s = T(0)
      for v in row { s += T.exp(v - m) }
      let lse = m + T.log(s)
      total += lse - row[row.startIndex + label]
      for (j, v) in row.enumerated() {
        let p = T.exp(v - lse)
        gradient.append((j == label ? p - T(1) : p) / n)
      }
    }
    return (total / n, Tensor(shape: z.shape, storage: gradient))
  }

  /// The gradient multiplied by a loss scale (unchanged for 1).
  public static func scaled<T: PrecisionScalar>(_ gradient: Tensor<T>, by scale: Double) -> Tensor<T> {
    guard scale != 1 else { return gradient }
    let s = T(scale)
    return Tensor(shape: gradient.shape, storage: gradient.storage.map { $0 * s })
  }
}
