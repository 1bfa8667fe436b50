import Foundation
import Networks
import Scalars
import Tensors

/// Forward + backward of the MLP in every scalar type the networks run on.
func networkSection() {

  emit()
  emit("## Networks: forward + backward (one thread)")
  emit()
  emit("MLP 784-256-256-256-10, batch \(quick ? 32 : 256), mean cross-entropy, synthetic inputs (20% exact zeros),")
  emit("sequential unfused accumulation; best of the timed passes (1 for the slow formats).")
  emit()
  emit("| format | accumulate | rounding | scalar type | seconds per forward + backward |")
  emit("| --- | --- | --- | --- | ---: |")
  let mlpWidths = [784, 256, 256, 256, 10]
  let mlpBatch = quick ? 32 : 256
  // One row per scalar type the networks run on (ScalarDispatch), and per accumulation.
  let networkRows: [(String, AccumulationChoice, RoundingMode, String, Int)] = [
    ("fp16", .same, .nearestEven, "Binary16", 1), ("fp16", .binary32, .nearestEven, "Binary16", 1),
    ("bf16", .same, .nearestEven, "BFloat16", 2), ("bf16", .binary32, .nearestEven, "BFloat16", 2),
    // The directed modes' kernel beside the nearest-even rows above.
    ("fp16", .same, .towardZero, "Binary16", 1), ("bf16", .same, .towardZero, "BFloat16", 2),
    ("bf16", .same, .towardPositive, "BFloat16", 2), ("bf16", .same, .towardNegative, "BFloat16", 2),
    ("fp32", .same, .nearestEven, "Float", 3), ("fp64", .same, .nearestEven, "Double", 3), ("fp80", .same, .nearestEven, "Float80", 1),
    ("tf32", .same, .nearestEven, "EmulatedFloat", 1), ("tf32", .same, .towardZero, "EmulatedFloat", 1),
    ("e4m3", .binary32, .nearestEven, "EmulatedFloat", 1),
    ("fp32", .same, .towardZero, "EmulatedFloat", 1), ("fp64", .same, .towardZero, "Binary64", 1),
    ("mpfr:113", .same, .nearestEven, "MPFRFloat", 1),
    // Odd and stochastic rounding (no SIMD kernel: the generic loop), beside the rows above.
    ("bf16", .same, .odd, "BFloat16", 1), ("bf16", .same, .stochastic, "BFloat16", 1),
    ("fp64", .same, .odd, "Binary64", 1), ("fp64", .same, .stochastic, "Binary64", 1),
    // binary128 on the integer engine; its peer is the mpfr:113 row above (MPFR at the same precision).
    ("binary128", .same, .nearestEven, "Binary128", 1), ("binary128", .same, .towardZero, "Binary128", 1),
    // Above p = 26 on the binary64 engine: binary64 sums (volume-precision-wide.yaml) and per-operation rounding.
    ("ieee:40:127", .binary64, .nearestEven, "EmulatedFloat", 1), ("ieee:40:127", .same, .nearestEven, "EmulatedFloat", 1),
  ]
  for (name, accumulate, rounding, type, repeats) in networkRows {
    let seconds = try! NetworkBenchmark.mlpForwardBackward(
      widths: mlpWidths, batch: mlpBatch, format: try! FloatFormat.named(name), accumulate: accumulate, rounding: rounding, repeats: repeats)
    emit("| \(name) | \(accumulate == .same ? name : accumulate.rawValue) | \(rounding) | \(type) | \(String(format: "%.3f", seconds)) |")
  }
  emit()
  emit("Precision policies (`--policy`, docs/PRECISION-POLICIES.md) on binary32 storage, beside the fp32 row and the")
  emit("pure 16-bit rows above (the policy rounds each layer's operands, parameters and results into the low format):")
  emit()
  emit("| policy | seconds per forward + backward | ratio to fp32 |")
  emit("| --- | ---: | ---: |")
  let plain = try! NetworkBenchmark.mlpForwardBackward(widths: mlpWidths, batch: mlpBatch, format: .binary32, repeats: 3)
  emit("| none (fp32) | \(String(format: "%.3f", plain)) | 1.00 |")
  for name in ["autocast-cuda-fp16", "autocast-cuda-bf16", "autocast-cuda-fp16:ends-fp32", "fp8-training"] {
    let seconds = try! NetworkBenchmark.mlpForwardBackward(
      widths: mlpWidths, batch: mlpBatch, format: .binary32, policy: PrecisionPolicy(name: name)!, repeats: 3)
    emit("| \(name) | \(String(format: "%.3f", seconds)) | \(String(format: "%.2f", seconds / plain)) |")
  }
  emit()
  emit("fp16 runs as the emulated `Binary16` (bit-identical to hardware half arithmetic, checked")
  emit("exhaustively): this x86-64 CPU has no half arithmetic, and Swift's `Float16` converts through")
  emit("binary32 in library calls on every operation, about 4x slower. fp32 and fp64, and the fp32/fp64")
  emit("accumulation of low-precision storage, take the SIMD kernels below.")
  emit()

}
