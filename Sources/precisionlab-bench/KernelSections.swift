import Foundation
import Scalars
import ScalarConformance
import Tensors

/// Matrix products next to PyTorch and OpenBLAS, and the other summation orders.
func matmulSection() {
  emit("## Matrix multiply: PrecisionLab next to PyTorch")
  emit()
  emit("`MatrixMultiply.timesTransposed` (sequential, unfused: each output summed in k order; kernels: \(FastMatrixMultiply.instructionSet))")
  emit("and `torch.matmul` (\(peerDirectory)/torch_matmul.py\(torchPython == nil ? ", not run: pass --torch PYTHON" : "")), GFLOP/s, same machine, same thread count.")
  emit()
  emit("The OpenBLAS column is the optional BLAS backend (`--summation blas`; summation order: BLAS's, not fixed):")
  emit("\(BLAS.isAvailable ? BLAS.library : "not measured: \(BLAS.library)").")
  emit()
  emit("| shape m×k×n | format | threads | PrecisionLab GFLOP/s | OpenBLAS GFLOP/s | PyTorch GFLOP/s | ratio PrecisionLab / PyTorch |")
  emit("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
  func matmulRate<T: PrecisionScalar>(
    _: T.Type, _ m: Int, _ k: Int, _ n: Int, threads: Int, options: KernelOptions = KernelOptions(), withBias: Bool = false
  ) -> Double {
    matmulRate(T.self, accumulate: T.self, m, k, n, threads: threads, options: options, withBias: withBias)
  }
  /// GFLOP/s of A [m, k] times Bᵀ [k, n] (uniform values in [-0.5, 0.5) rounded to T), accumulated in A.
  func matmulRate<T: PrecisionScalar, A: PrecisionScalar>(
    _: T.Type, accumulate _: A.Type, _ m: Int, _ k: Int, _ n: Int, threads: Int, options: KernelOptions = KernelOptions(), withBias: Bool = false
  ) -> Double {
    var g = SplitMix64(seed: 3)
    let a = Tensor<T>(shape: [m, k], doubles: (0..<(m * k)).map { _ in Double(g.next() >> 11) * 0x1p-53 - 0.5 })
    let b = Tensor<T>(shape: [n, k], doubles: (0..<(n * k)).map { _ in Double(g.next() >> 11) * 0x1p-53 - 0.5 })
    let bias = withBias ? Tensor<T>(shape: [n], doubles: (0..<n).map { _ in Double(g.next() >> 11) * 0x1p-53 - 0.5 }) : nil
    let seconds = time(repeats: quick ? 3 : 10) {
      blackHole(MatrixMultiply.timesTransposed(a, b, bias: bias, accumulate: A.self, options: options, threads: threads))
    }
    return 2.0 * Double(m * k * n) / seconds / 1e9
  }
  for threads in [1, 2] {
    let torchLines = peer("torch_matmul.py", ["--threads", "\(threads)", "256", "784", "256", "256", "256", "256"]).split(separator: "\n")
    for (m, k, n) in [(256, 784, 256), (256, 256, 256)] {
      for (name, torchName) in [("binary32", "float32"), ("binary64", "float64")] {
        let ours = name == "binary32" ? matmulRate(Float.self, m, k, n, threads: threads) : matmulRate(Double.self, m, k, n, threads: threads)
        let blas = !BLAS.isAvailable ? nil : name == "binary32"
          ? matmulRate(Float.self, m, k, n, threads: threads, options: KernelOptions(order: .blas))
          : matmulRate(Double.self, m, k, n, threads: threads, options: KernelOptions(order: .blas))
        let theirs = torchLines.first { $0.contains(" \(m)x\(k)x\(n) \(torchName) ") }.flatMap { line -> Double? in
          let parts = line.split(separator: " ")
          guard let i = parts.firstIndex(of: "GFLOP/s"), i > 0 else { return nil }
          return Double(parts[i - 1])
        }
        emit("| \(m)×\(k)×\(n) | \(name) | \(threads) | \(String(format: "%.1f", ours)) | \(blas.map { String(format: "%.1f", $0) } ?? "–") | \(theirs.map { String(format: "%.1f", $0) } ?? "–") | \(theirs.map { String(format: "%.2f", ours / $0) } ?? "–") |")
      }
    }
  }
  emit()
  emit("### Every summation order")
  emit()
  emit("`MatrixMultiply.timesTransposed` of binary32 and binary64 256×784×256 plus a bias (as a Linear layer) in each order")
  emit("and bias placement (SIMD kernels, each output one sum in the documented order, bit-identical to the generic loop),")
  emit("GFLOP/s, and the ratio to the sequential order with the bias last.")
  emit()
  emit("| order | format | threads | GFLOP/s | ratio to sequential |")
  emit("| --- | --- | ---: | ---: | ---: |")
  let orders: [(String, KernelOptions)] = [
    ("sequential", KernelOptions()), ("sequential, fused", KernelOptions(fused: true)), ("pairwise", KernelOptions(order: .pairwise)),
    ("blocked:32", KernelOptions(order: .blocked(32))), ("blocked:64, fused", KernelOptions(order: .blocked(64), fused: true)),
    ("sequential, bias first", KernelOptions(biasFirst: true)), ("blocked:256, bias first (BLAS's K-blocking)", KernelOptions(order: .blocked(256), biasFirst: true)),
    ("blocked:192, fused, bias first (MKL's tree for this shape on AMD EPYC)", KernelOptions(order: .blocked(192), fused: true, biasFirst: true)),
    ("split:4 (split-K)", KernelOptions(order: .split(4))), ("lanes:8", KernelOptions(order: .lanes(8))),
    ("kahan", KernelOptions(order: .kahan)), ("neumaier", KernelOptions(order: .neumaier)),
  ]
  // Tensor-core models accumulate in binary32 only.
  let tensorCore: [(String, KernelOptions)] = ["tc:v100", "tc:a100", "tc:h100-fp8"].map { name in
    let order = KernelOptions.SummationOrder(name: name)!
    guard case .tensorCore(let model) = order else { preconditionFailure(name) }
    return ("\(name) (tensor-core model, binary32 operands\(model.alignment == .productsFirst ? ", products first" : ""))", KernelOptions(order: order))
  }
  for threads in [1, 2] {
    for format in ["binary32", "binary64"] {
      var sequential = 0.0
      for (label, options) in orders + (format == "binary32" ? tensorCore : []) {
        let rate = format == "binary32"
          ? matmulRate(Float.self, 256, 784, 256, threads: threads, options: options, withBias: true)
          : matmulRate(Double.self, 256, 784, 256, threads: threads, options: options, withBias: true)
        if label == "sequential" { sequential = rate }
        emit("| \(label) | \(format) | \(threads) | \(String(format: "%.1f", rate)) | \(String(format: "%.2f", rate / sequential)) |")
      }
    }
  }
  emit()
  emit("### Tensor-core models on 16-bit operands")
  emit()
  emit("The same product with bfloat16 operands (the values above rounded to bfloat16) accumulated in binary32, as")
  emit("`--format bf16 --accumulate fp32` computes it: each tensor-core model against the sequential sum of the same")
  emit("operands. Products of operands of at most 12 significant bits are exact in binary32, so joint alignment")
  emit("runs in binary32 lanes with int32 sums (`gemm_tc.c`); products first sums each group in binary64 with an error")
  emit("bound, exactly (a 640-bit fixed-point sum) where the bound leaves the model's rounding uncertain.")
  emit()
  emit("| order | threads | GFLOP/s | ratio to sequential |")
  emit("| --- | ---: | ---: | ---: |")
  for threads in [1, 2] {
    var sequential = 0.0
    for name in ["sequential", "tc:v100", "tc:a100", "tc:a100-tf32", "tc:h100-fp8"] {
      let options = KernelOptions(order: KernelOptions.SummationOrder(name: name)!)
      let rate = matmulRate(BFloat16.self, accumulate: Float.self, 256, 784, 256, threads: threads, options: options, withBias: true)
      if name == "sequential" { sequential = rate }
      emit("| \(name) | \(threads) | \(String(format: "%.1f", rate)) | \(String(format: "%.2f", rate / sequential)) |")
    }
  }
  emit()
  emit("### MX operands")
  emit()
  emit("`MatrixMultiply.timesTransposed(plan:)` of binary32 256×784×256 plus a bias with OCP MX operands (`--mx`: both operands")
  emit("quantized in blocks of 32 along k on every call, then the binary32 kernel), GFLOP/s and the ratio to the same product")
  emit("without MX.")
  emit()
  emit("| operands | threads | GFLOP/s | ratio to plain |")
  emit("| --- | ---: | ---: | ---: |")
  for threads in [1, 2] {
    var g = SplitMix64(seed: 3)
    func matrix(_ r: Int, _ c: Int) -> Tensor<Float> { Tensor(shape: [r, c], doubles: (0..<(r * c)).map { _ in Double(g.next() >> 11) * 0x1p-53 - 0.5 }) }
    let (a, b, bias) = (matrix(256, 784), matrix(256, 784), matrix(1, 256).reshaped([256]))
    var plain = 0.0
    for mx in [nil, MXScaling(.e4m3), MXScaling(.e2m1), MXScaling(.int8)] {
      var plan = KernelPlan(accumulate: .same, threads: threads)
      plan.mx = mx
      let seconds = time(repeats: quick ? 3 : 10) { blackHole(MatrixMultiply.timesTransposed(a, b, bias: bias, plan: plan)) }
      let rate = 2.0 * Double(256 * 784 * 256) / seconds / 1e9
      if mx == nil { plain = rate }
      emit("| \(mx?.description ?? "binary32 (plain)") | \(threads) | \(String(format: "%.1f", rate)) | \(String(format: "%.2f", rate / plain)) |")
    }
  }
}
