import Foundation
import Networks
import Scalars
import Tensors

/// Each layer kind on its own, forward and backward, next to the same PyTorch layer: what a whole
/// network's time can hide (a layer at 1% of VGG11 may still be 10 times PyTorch's).
func layerSection() {
  let batch = quick ? 16 : 128
  emit()
  emit("## Layers: forward and backward of each layer kind, next to PyTorch")
  emit()
  emit("`LayerBenchmark.time`: one layer on its own, batch \(batch), one thread, milliseconds, best of 3; inputs uniform in")
  emit("[−1, 1) with 10% exact zeros. Shapes: [\(batch), 64, 32, 32] for the 3×3 convolution (64 to 64, padding 1, bias),")
  emit("training-mode batch norm, the activations (ReLU, leaky ReLU 0.01, ReLU6, exact GELU) and both max pools (VGG's 2×2;")
  emit("ResNet's stem pool, 3×3 stride 2 padding 1);")
  emit("[\(batch), 512, 4, 4] for global average pooling; [\(batch), 65536] for dropout (p 0.5, training); [\(batch), 4096] for")
  emit("the dense layer (4096 to 1024). Backward forms the input gradient and every parameter's gradient. PyTorch:")
  emit("\(ownPeerDirectory)/torch_layers.py (`torch.autograd.grad` of the output against the input and the parameters, one")
  emit("thread; its max pools save the winners' indices in the forward, ours find them again in the backward, so compare")
  emit("the sums)\(torchPython == nil ? " (not run: pass --torch PYTHON)" : ""). Each row is compared with PyTorch in the same storage")
  emit("format (its CPU kernels accumulate half-precision data in binary32). \"batch norm, in storage\" is `--batch-norm-arithmetic")
  emit("storage`: every operation of the normalisation rounded into the 16-bit format (PrecisionLab before 0.8).")
  emit()
  emit("| layer | format | accumulate | forward ms | backward ms | PyTorch forward ms | PyTorch backward ms | ratio (sum) |")
  emit("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
  let torchLines = peer("torch_layers.py", ["--batch", "\(batch)"], directory: ownPeerDirectory).split(separator: "\n")
  let formats: [(String, AccumulationChoice, String)] = [
    ("binary32", .same, "float32"), ("binary64", .same, "float64"), ("bfloat16", .binary32, "bfloat16"), ("binary16", .binary32, "float16"),
  ]
  // Batch norm's other arithmetic (`--batch-norm-arithmetic storage`, each operation rounded into the
  // 16-bit storage format) gets its own rows after the default one.
  let rows = LayerBenchmark.Kind.allCases.flatMap { kind in
    formats.map { (kind, $0.0, $0.1, $0.2, false) }
      + (kind == .batchNorm ? [(kind, "bfloat16", .binary32, "bfloat16", true), (kind, "binary16", .binary32, "float16", true)] : [])
  }
  for (kind, format, accumulate, dtype, inStorage) in rows {
    let ours = try! LayerBenchmark.time(kind, batch: batch, format: try! FloatFormat.named(format), accumulate: accumulate, normalizeInStorage: inStorage)
    let key = kind.rawValue.replacingOccurrences(of: " ", with: "_")
    let line = torchLines.first { $0.hasPrefix("\(key) \(dtype) ") }
    let theirs = line.flatMap { l in field(l, after: "forward_ms=").flatMap { f in field(l, after: "backward_ms=").map { (f, $0) } } }
    let ms = { (s: Double) in String(format: "%.2f", s) }
    let ratio = theirs.map { String(format: "%.2f", (ours.forward + ours.backward) * 1e3 / ($0.0 + $0.1)) } ?? "–"
    let label = inStorage ? "\(kind.rawValue), in storage" : kind.rawValue
    emit("| \(label) | \(format) | \(accumulate == .same ? format : accumulate.rawValue) | \(ms(ours.forward * 1e3)) | \(ms(ours.backward * 1e3)) | \(theirs.map { ms($0.0) } ?? "–") | \(theirs.map { ms($0.1) } ?? "–") | \(ratio) |")
  }
}
