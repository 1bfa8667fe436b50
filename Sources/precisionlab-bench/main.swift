// Scalar benchmarks (release mode): ns per operation for every format and rounding mode, values per
// second for rounding a binary64 array into each binary64-engine format, and MPFR multiply-accumulate
// next to raw mpfr_fma on preallocated variables.
//
//   swift build -c release && .build/release/precisionlab-bench [--quick] [--torch PYTHON] [--write docs/PERFORMANCE.md]
import CMPFR
import Datasets
import Dispatch
import Foundation
import Networks
import ScalarConformance
import Scalars
import Tensors

let quick = CommandLine.arguments.contains("--quick")

@inline(never) func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

/// Best of `repeats` timings of `body`, in seconds.
func time(repeats: Int = 5, _ body: () -> Void) -> Double {
  var best = Double.infinity
  for _ in 0..<repeats {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
  return best
}

enum Op: String, CaseIterable { case add, mul, div, sqrt, fma }

/// ns per operation of `op` over arrays of `n` values, `rounds` times.
func nsPerOp<T: PrecisionScalar>(_: T.Type, _ op: Op, mode: RoundingMode, n: Int, rounds: Int) -> Double {
  var g = SplitMix(seed: 42)
  let a = (0..<n).map { _ in T(0.5 + 1.5 * Double(g.next() >> 11) * 0x1p-53) }
  let b = (0..<n).map { _ in T(0.5 + 1.5 * Double(g.next() >> 11) * 0x1p-53) }
  var out = a
  let seconds = RoundingEnvironment.with(mode, seed: 1) {
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        out.withUnsafeMutableBufferPointer { out in
          time {
            for _ in 0..<rounds {
              switch op {
              case .add: for i in 0..<n { out[i] = a[i] + b[i] }
              case .mul: for i in 0..<n { out[i] = a[i] * b[i] }
              case .div: for i in 0..<n { out[i] = a[i] / b[i] }
              case .sqrt: for i in 0..<n { out[i] = a[i].squareRoot() }
              case .fma: for i in 0..<n { T.fusedMultiplyAccumulate(&out[i], a[i], b[i]) }
              }
              blackHole(out.baseAddress)
            }
          }
        }
      }
    }
  }
  return seconds / Double(n * rounds) * 1e9
}

nonisolated(unsafe) var report: [String] = []
func emit(_ line: String = "") {
  print(line)
  report.append(line)
}

func row<T: PrecisionScalar>(_ type: T.Type, _ label: String, modes: [RoundingMode], n: Int, rounds: Int) {
  for mode in modes {
    let cells = Op.allCases.map { String(format: "%.1f", nsPerOp(T.self, $0, mode: mode, n: n, rounds: rounds)) }
    emit("| \(label) | \(mode) | " + cells.joined(separator: " | ") + " |")
  }
}

let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
  .split(separator: "\n").first { $0.hasPrefix("model name") }?
  .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown"
emit("# Performance: scalars")
emit()
emit("Written by `.build/release/precisionlab-bench \(CommandLine.arguments.dropFirst().joined(separator: " "))` (release build).")
emit("Machine: \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores. Each figure is the best of 5 timed runs.")
emit()
emit("## ns per operation (arrays of values in [0.5, 2), one thread)")
emit()
emit("| type | rounding | add | mul | div | sqrt | fma |")
emit("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
let smallN = 4096, smallRounds = quick ? 50 : 500
let all = RoundingMode.allCases
let someModes: [RoundingMode] = quick ? [.nearestEven] : all
row(Float16.self, "Float16 (hardware)", modes: [.nearestEven], n: smallN, rounds: smallRounds)
row(Float.self, "Float (hardware)", modes: [.nearestEven], n: smallN, rounds: smallRounds)
row(Double.self, "Double (hardware)", modes: [.nearestEven], n: smallN, rounds: smallRounds)
row(Binary16.self, "binary16", modes: someModes, n: smallN, rounds: smallRounds)
row(BFloat16.self, "bfloat16", modes: someModes, n: smallN, rounds: smallRounds)
row(TF32.self, "tf32", modes: quick ? [.nearestEven] : [.nearestEven, .towardZero, .stochastic], n: smallN, rounds: smallRounds)
row(Binary32.self, "binary32", modes: quick ? [.nearestEven] : [.nearestEven, .towardZero, .stochastic], n: smallN, rounds: smallRounds)
row(E4M3.self, "e4m3", modes: someModes, n: smallN, rounds: smallRounds)
row(E5M2.self, "e5m2", modes: quick ? [.nearestEven] : [.nearestEven, .stochastic], n: smallN, rounds: smallRounds)
// What the networks run for these formats: the same arithmetic with the format set on the thread.
EmulatedFloat.withFormat(.tf32) {
  row(EmulatedFloat.self, "tf32 (EmulatedFloat)", modes: quick ? [.nearestEven] : [.nearestEven, .towardZero, .stochastic], n: smallN, rounds: smallRounds)
}
EmulatedFloat.withFormat(.e4m3) {
  row(EmulatedFloat.self, "e4m3 (EmulatedFloat)", modes: quick ? [.nearestEven] : [.nearestEven, .stochastic], n: smallN, rounds: smallRounds)
}
let wideN = 1024, wideRounds = quick ? 5 : 40
row(Binary64.self, "binary64 (MPFR)", modes: quick ? [.nearestEven] : [.nearestEven, .towardZero, .nearestAway, .stochastic], n: wideN, rounds: wideRounds)
row(Binary128.self, "binary128", modes: someModes, n: wideN, rounds: wideRounds)
MPFRFloat.withFormat(try! FloatFormat.named("mpfr:256")) {
  row(MPFRFloat.self, "mpfr:256", modes: quick ? [.nearestEven] : [.nearestEven, .towardZero, .odd, .stochastic], n: wideN, rounds: wideRounds)
}
emit()
emit("Operators on MPFR-engine types allocate their result (value semantics); `fma` here is the in-place")
emit("`fusedMultiplyAccumulate`, which allocates nothing.")

// MARK: Bulk rounding of a binary64 array

emit()
emit("## Rounding a binary64 array to nearest (values per second)")
emit()
let count = quick ? 1 << 22 : 1 << 24
emit("\(count) binary64 values spread over each format's range, rounded with")
emit("`SmallFormatArithmetic.roundNearestEven(_:into:_:)`; two threads each round half.")
emit()
emit("| format | 1 thread (M values/s) | 2 threads (M values/s) |")
emit("| --- | ---: | ---: |")
for format in [FloatFormat.bfloat16, .binary16, .e4m3, .e5m2, .tf32, .binary32, .fp4e2m1] {
  let c = format.small
  let source = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
  let destination = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
  defer { source.deallocate(); destination.deallocate() }
  var g = SplitMix(seed: 7)
  let span = UInt64(format.emax - format.emin + format.precision + 1)
  for i in 0..<count {
    let e = format.emin - format.precision + Int(g.next() % span)
    let r = g.next()
    source[i] = Double(sign: r & 1 == 0 ? .plus : .minus, exponent: e, significand: 1 + Double(r >> 11) * 0x1p-53)
  }
  let one = time {
    SmallFormatArithmetic.roundNearestEven(UnsafeBufferPointer(source), into: destination, c)
  }
  nonisolated(unsafe) let s = source, d = destination
  let half = count / 2
  let two = time {
    DispatchQueue.concurrentPerform(iterations: 2) { part in
      let range = (part * half)..<(part * half + half)
      SmallFormatArithmetic.roundNearestEven(
        UnsafeBufferPointer(rebasing: s[range]), into: UnsafeMutableBufferPointer(rebasing: d[range]), c)
    }
  }
  blackHole(destination[count / 3])
  emit("| \(format.name) | \(String(format: "%.0f", Double(count) / one / 1e6)) | \(String(format: "%.0f", Double(count) / two / 1e6)) |")
}

// MARK: MPFR multiply-accumulate

emit()
emit("## MPFR multiply-accumulate in place vs raw MPFR (ns per multiply-add)")
emit()
emit("A dot product of \(quick ? 256 : 1024) pairs accumulated in one uniquely held `MPFRFloat` (nearest-even,")
emit("unbounded exponent), next to a C-style loop of `mpfr_fma` (and `mpfr_mul` + `mpfr_add`) on")
emit("preallocated `mpfr_t` variables.")
emit()
emit("| precision | fusedMultiplyAccumulate | raw mpfr_fma | ratio | multiplyAccumulate (unfused) | raw mpfr_mul + mpfr_add | ratio |")
emit("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for bits in [113, 256] {
  let format = try! FloatFormat.named("mpfr:\(bits)")
  let n = quick ? 256 : 1024, rounds = quick ? 20 : 200
  let (a, b) = MPFRFloat.withFormat(format) {
    ((0..<n).map { MPFRFloat(1) / MPFRFloat($0 + 3) }, (0..<n).map { MPFRFloat($0 + 1).squareRoot() })
  }
  var acc = MPFRFloat.withFormat(format) { MPFRFloat(0) }
  let fused = time {
    for _ in 0..<rounds { for i in 0..<n { MPFRFloat.fusedMultiplyAccumulate(&acc, a[i], b[i]) } }
  } / Double(n * rounds) * 1e9
  let unfused = time {
    for _ in 0..<rounds { for i in 0..<n { MPFRFloat.multiplyAccumulate(&acc, a[i], b[i]) } }
  } / Double(n * rounds) * 1e9
  blackHole(acc)
  // Raw MPFR on preallocated variables.
  let raw = UnsafeMutablePointer<__mpfr_struct>.allocate(capacity: 2 * n + 2)
  for i in 0..<(2 * n + 2) { mpfr_init2(raw + i, mpfr_prec_t(bits)) }
  for i in 0..<n {
    mpfr_set(raw + i, a[i].number.pointer, MPFR_RNDN)
    mpfr_set(raw + n + i, b[i].number.pointer, MPFR_RNDN)
  }
  let racc = raw + 2 * n, tmp = raw + 2 * n + 1
  mpfr_set_zero(racc, 1)
  let rawFused = time {
    for _ in 0..<rounds { for i in 0..<n { mpfr_fma(racc, raw + i, raw + n + i, racc, MPFR_RNDN) } }
  } / Double(n * rounds) * 1e9
  let rawUnfused = time {
    for _ in 0..<rounds {
      for i in 0..<n {
        mpfr_mul(tmp, raw + i, raw + n + i, MPFR_RNDN)
        mpfr_add(racc, racc, tmp, MPFR_RNDN)
      }
    }
  } / Double(n * rounds) * 1e9
  for i in 0..<(2 * n + 2) { mpfr_clear(raw + i) }
  raw.deallocate()
  emit(String(format: "| %d | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f |", bits, fused, rawFused, fused / rawFused, unfused, rawUnfused, unfused / rawUnfused))
}

emit()
let mpfrShape = quick ? (16, 128, 16) : (32, 512, 32)
emit("## MPFR matrix multiply vs raw MPFR (ns per multiply-add)")
emit()
emit("`MatrixMultiply.timesTransposed` of \(mpfrShape.0)×\(mpfrShape.1) by \(mpfrShape.1)×\(mpfrShape.2) `MPFRFloat` matrices (nearest-even,")
emit("unbounded exponent, one thread; each output accumulated in place in k order), per multiply-add, next to a")
emit("C-style loop over the same operands on preallocated `mpfr_t` variables (one accumulator per output, set to zero,")
emit("then `mpfr_fma`, or `mpfr_mul` into a temporary and `mpfr_add`, for each k), timed alternately, best of 3 each.")
emit()
emit("| precision | order | matrix multiply ns | raw MPFR ns | ratio |")
emit("| ---: | --- | ---: | ---: | ---: |")
for bits in [113, 256] {
  let format = try! FloatFormat.named("mpfr:\(bits)")
  let (m, k, n) = mpfrShape
  var g = SplitMix(seed: 5)
  let (a, b) = MPFRFloat.withFormat(format) {
    (Tensor<MPFRFloat>(shape: [m, k], doubles: (0..<(m * k)).map { _ in Double(g.next() >> 11) * 0x1p-53 - 0.5 }),
     Tensor<MPFRFloat>(shape: [n, k], doubles: (0..<(n * k)).map { _ in Double(g.next() >> 11) * 0x1p-53 - 0.5 }))
  }
  // The same operands as raw MPFR variables: a's rows, then b's, then the accumulator and a temporary.
  let raw = UnsafeMutablePointer<__mpfr_struct>.allocate(capacity: (m + n) * k + 2)
  for i in 0..<((m + n) * k + 2) { mpfr_init2(raw + i, mpfr_prec_t(bits)) }
  for i in 0..<(m * k) { mpfr_set(raw + i, a.storage[i].number.pointer, MPFR_RNDN) }
  for i in 0..<(n * k) { mpfr_set(raw + m * k + i, b.storage[i].number.pointer, MPFR_RNDN) }
  let rawB = raw + m * k, racc = raw + (m + n) * k, tmp = racc + 1
  for (label, fused) in [("fused (mpfr_fma)", true), ("unfused (mpfr_mul + mpfr_add)", false)] {
    var ours = Double.infinity, rawBest = Double.infinity
    for _ in 0..<3 {
      ours = min(ours, MPFRFloat.withFormat(format) {
        time(repeats: 1) { blackHole(MatrixMultiply.timesTransposed(a, b, accumulate: MPFRFloat.self, options: KernelOptions(fused: fused), threads: 1)) }
      })
      rawBest = min(rawBest, time(repeats: 1) {
        for i in 0..<m {
          for j in 0..<n {
            mpfr_set_zero(racc, 1)
            for p in 0..<k {
              if fused {
                mpfr_fma(racc, raw + i * k + p, rawB + j * k + p, racc, MPFR_RNDN)
              } else {
                mpfr_mul(tmp, raw + i * k + p, rawB + j * k + p, MPFR_RNDN)
                mpfr_add(racc, racc, tmp, MPFR_RNDN)
              }
            }
          }
        }
      })
    }
    let perTerm = 1e9 / Double(m * k * n)
    emit(String(format: "| %d | %@ | %.1f | %.1f | %.2f |", bits, label, ours * perTerm, rawBest * perTerm, ours / rawBest))
  }
  for i in 0..<((m + n) * k + 2) { mpfr_clear(raw + i) }
  raw.deallocate()
}

// MARK: Networks

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
  ("fp32", .same, .nearestEven, "Float", 3), ("fp64", .same, .nearestEven, "Double", 3), ("fp80", .same, .nearestEven, "Float80", 1),
  ("tf32", .same, .nearestEven, "EmulatedFloat", 1), ("e4m3", .binary32, .nearestEven, "EmulatedFloat", 1),
  ("fp32", .same, .towardZero, "EmulatedFloat", 1), ("fp64", .same, .towardZero, "MPFRFloat", 1), ("mpfr:113", .same, .nearestEven, "MPFRFloat", 1),
]
for (name, accumulate, rounding, type, repeats) in networkRows {
  let seconds = try! NetworkBenchmark.mlpForwardBackward(
    widths: mlpWidths, batch: mlpBatch, format: try! FloatFormat.named(name), accumulate: accumulate, rounding: rounding, repeats: repeats)
  emit("| \(name) | \(accumulate == .same ? name : accumulate.rawValue) | \(rounding) | \(type) | \(String(format: "%.3f", seconds)) |")
}
emit()
emit("fp16 runs as the emulated `Binary16` (bit-identical to hardware half arithmetic, checked")
emit("exhaustively): this x86-64 CPU has no half arithmetic, and Swift's `Float16` converts through")
emit("binary32 in library calls on every operation, about 4x slower. fp32 and fp64, and the fp32/fp64")
emit("accumulation of low-precision storage, take the SIMD kernels below.")
emit()

// MARK: Matrix multiply, side by side with PyTorch

/// The `--torch PYTHON` interpreter (a virtual environment with torch), if given.
let torchPython: String? = CommandLine.arguments.firstIndex(of: "--torch").flatMap {
  $0 + 1 < CommandLine.arguments.count ? CommandLine.arguments[$0 + 1] : nil
}
let peerDirectory = ProcessInfo.processInfo.environment["PRECISIONLAB_PEERS"] ?? "../shared/bench"

/// Runs a peer script and returns its standard output (empty when it fails).
func peer(_ script: String, _ arguments: [String]) -> String {
  guard let python = torchPython else { return "" }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: python)
  process.arguments = [peerDirectory + "/" + script] + arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  do { try process.run() } catch { return "" }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : ""
}

/// The number after `key=` or before ` key` in a peer's output line.
func field(_ line: Substring, after key: String) -> Double? {
  guard let r = line.range(of: key) else { return nil }
  return Double(line[r.upperBound...].prefix { !$0.isWhitespace })
}

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
func matmulRate<T: PrecisionScalar>(_: T.Type, _ m: Int, _ k: Int, _ n: Int, threads: Int, options: KernelOptions = KernelOptions()) -> Double {
  var g = SplitMix(seed: 3)
  let a = Tensor<T>(shape: [m, k], doubles: (0..<(m * k)).map { _ in Double(g.next() >> 11) * 0x1p-53 - 0.5 })
  let b = Tensor<T>(shape: [n, k], doubles: (0..<(n * k)).map { _ in Double(g.next() >> 11) * 0x1p-53 - 0.5 })
  let seconds = time(repeats: quick ? 3 : 10) { blackHole(MatrixMultiply.timesTransposed(a, b, accumulate: T.self, options: options, threads: threads)) }
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
emit("Other orders (generic loop), binary32 256×784×256, one thread:")
do {
  var g = SplitMix(seed: 3)
  let a = Tensor<Float>(shape: [256, 784], doubles: (0..<(256 * 784)).map { _ in Double(g.next() >> 11) * 0x1p-53 - 0.5 })
  let b = Tensor<Float>(shape: [256, 784], doubles: (0..<(256 * 784)).map { _ in Double(g.next() >> 11) * 0x1p-53 - 0.5 })
  for (label, options) in [("sequential, fused (SIMD kernel)", KernelOptions(fused: true)), ("pairwise (generic)", KernelOptions(order: .pairwise)), ("blocked:64 (generic)", KernelOptions(order: .blocked(64)))] {
    let seconds = time(repeats: 3) { blackHole(MatrixMultiply.timesTransposed(a, b, accumulate: Float.self, options: options)) }
    emit("- \(label): \(String(format: "%.2f", 2.0 * 256 * 784 * 256 / seconds / 1e9)) GFLOP/s")
  }
}

// MARK: The bifurcation protocol, side by side with PyTorch

emit()
emit("## Bifurcation protocol: seconds per 100 mini-batches, next to PyTorch")
emit()
let protocolBatches = quick ? 4 : 20
emit("MNIST MLP 784-256-256-256-10, batch 256, ReLU'(0) = 0 vs 1, every batch (no early stop), first \(protocolBatches)")
emit("batches of the training set, one run, one thread. PrecisionLab: `BifurcationStudy` (screening: no backward pass")
emit("on a batch without an exact zero at a ReLU input; shared upper backward). PyTorch: \(peerDirectory)/torch_bifurcation.py")
emit("(two networks, forward and backward each, as the paper).")
emit()
emit("| format | PrecisionLab s/100 batches | backward passes | PyTorch s/100 batches | ratio |")
emit("| --- | ---: | ---: | ---: | ---: |")
let mnistData = ProcessInfo.processInfo.environment["PRECISIONLAB_MNIST"] ?? "../shared/data/mnist"
if let train = try? LabeledImages.idx(images: mnistData + "/train-images-idx3-ubyte.gz", labels: mnistData + "/train-labels-idx1-ubyte.gz") {
  var protocolRows: [(String, AccumulationChoice, String, KernelOptions.SummationOrder)] = [("fp16", .same, "16", .sequential), ("fp16", .binary32, "", .sequential), ("bf16", .same, "", .sequential), ("fp32", .same, "32", .sequential), ("fp64", .same, "64", .sequential)]
  if BLAS.isAvailable { protocolRows += [("fp32", .same, "32", .blas), ("fp64", .same, "64", .blas)] }
  for (name, accumulate, precision, order) in protocolRows {
    var compute = ComputeSettings(format: try! FloatFormat.named(name), accumulate: accumulate)
    compute.options = KernelOptions(order: order)
    var study = BifurcationStudy(
      model: .mlp(widths: [784, 256, 256, 256, 10], activateFirstLayer: true),
      compute: compute,
      feed: BatchFeed(data: train, batchSize: 256, maxBatches: protocolBatches), seed: 0)
    study.untilFirstDifference = false
    var record: BifurcationStudy.Record? = nil
    let seconds = time(repeats: 1) { record = try! study.run() }
    var theirs: Double? = nil
    if !precision.isEmpty {
      let out = peer("torch_bifurcation.py", ["--mnist", mnistData, "--precision", precision, "--runs", "1", "--all-batches", "--max-batches", "\(protocolBatches)", "--threads", "1"])
      theirs = out.split(separator: "\n").last.flatMap { field($0, after: "seconds_per_100_batches=") }
    }
    let ours = seconds * 100 / Double(protocolBatches)
    let label = (accumulate == .same ? name : "\(name), fp32 accumulation") + (order == .blas ? ", OpenBLAS (summation order: BLAS's)" : "")
    emit("| \(label) | \(String(format: "%.2f", ours)) | \(record!.backwardPasses) of \(2 * protocolBatches) | \(theirs.map { String(format: "%.2f", $0) } ?? "–") | \(theirs.map { String(format: "%.2f", ours / $0) } ?? "–") |")
  }
} else {
  emit("MNIST not found at \(mnistData) (set PRECISIONLAB_MNIST): not measured.")
}

// MARK: Sweeps: throughput and memory

/// Runs the precisionlab executable beside this one; returns wall seconds and peak resident memory
/// (bytes), or nil when it cannot run or fails.
func runPrecisionLab(_ arguments: [String]) -> (seconds: Double, peakBytes: Int)? {
  let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("precisionlab").path
  guard FileManager.default.isExecutableFile(atPath: executable) else { return nil }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
  var argv = ([executable] + arguments).map { strdup($0) } + [nil]
  defer { argv.forEach { free($0) } }
  var pid: pid_t = 0
  let start = DispatchTime.now().uptimeNanoseconds
  guard posix_spawn(&pid, executable, &actions, nil, &argv, environ) == 0 else { return nil }
  var status: Int32 = 0
  var usage = rusage()
  while wait4(pid, &status, 0, &usage) == -1 && errno == EINTR {}
  let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  guard status == 0 else { return nil }
  return (seconds, usage.ru_maxrss * 1024)  // Linux reports kilobytes
}

emit()
emit("## Sweeps: throughput with 1 and 2 jobs, peak memory")
emit()
let sweepData = (mnistData as NSString).deletingLastPathComponent
let sweepFolder = NSTemporaryDirectory() + "precisionlab-bench-\(getpid())"
try? FileManager.default.createDirectory(atPath: sweepFolder, withIntermediateDirectories: true)
if FileManager.default.fileExists(atPath: mnistData + "/train-images-idx3-ubyte.gz") {
  let runs = quick ? 4 : 32, batches = quick ? 2 : 8
  let throughputArguments = ["bifurcation", "--data", "mnist", "--data-dir", sweepData, "--format", "fp16", "--all-batches", "--max-batches", "\(batches)", "--runs", "\(runs)", "--quiet"]
  emit("`precisionlab bifurcation --data mnist --format fp16 --all-batches --max-batches \(batches) --runs \(runs) --jobs J` (MLP")
  emit("784-256-256-256-10, batch 256), as a separate process, 1 and 2 jobs alternately, twice each, the faster run of each;")
  emit("trials per second of wall time, including loading MNIST.")
  emit()
  emit("| jobs | seconds | trials per second | speed-up |")
  emit("| ---: | ---: | ---: | ---: |")
  // Alternating 1, 2, 1, 2 spreads a slow spell of this shared machine over both job counts.
  var best: [Int: Double] = [:]
  for jobs in [1, 2, 1, 2] {
    let out = sweepFolder + "/throughput-\(jobs).csv"
    try? FileManager.default.removeItem(atPath: out)
    if let r = runPrecisionLab(throughputArguments + ["--jobs", "\(jobs)", "--out", out]) { best[jobs] = min(best[jobs] ?? .infinity, r.seconds) }
  }
  for jobs in [1, 2] {
    if let seconds = best[jobs] {
      let rate = Double(runs) / seconds
      let speedUp = best[1].map { String(format: "%.2f", $0 / seconds) } ?? "–"
      emit("| \(jobs) | \(String(format: "%.2f", seconds)) | \(String(format: "%.2f", rate)) | \(speedUp) |")
    } else {
      emit("| \(jobs) | failed (is precisionlab built beside the bench?) | | |")
    }
  }
  emit()
  let bigRuns = quick ? 50 : 1000
  let memoryArguments = ["bifurcation", "--data", "mnist", "--data-dir", sweepData, "--format", "fp16", "--runs", "\(bigRuns)", "--jobs", "2", "--quiet", "--out", sweepFolder + "/memory.csv"]
  if let r = runPrecisionLab(memoryArguments) {
    emit("A \(bigRuns)-run MNIST bifurcation sweep (`precisionlab bifurcation --data mnist --format fp16 --runs \(bigRuns) --jobs 2`,")
    emit("until the first difference, the paper's protocol): peak resident memory \(String(format: "%.0f", Double(r.peakBytes) / 1048576)) MiB (`ru_maxrss`), \(String(format: "%.0f", r.seconds)) s.")
  } else {
    emit("The \(bigRuns)-run sweep failed (is precisionlab built beside the bench?): not measured.")
  }
} else {
  emit("MNIST not found at \(mnistData) (set PRECISIONLAB_MNIST): not measured.")
}
try? FileManager.default.removeItem(atPath: sweepFolder)

// MARK: Datasets

emit()
emit("## Loading MNIST")
emit()
let mnistDirectory = ProcessInfo.processInfo.environment["PRECISIONLAB_MNIST"] ?? "../shared/data/mnist"
if FileManager.default.fileExists(atPath: mnistDirectory + "/train-images-idx3-ubyte.gz") {
  var loaded = 0
  let seconds = time(repeats: 3) {
    let train = try! LabeledImages.idx(images: mnistDirectory + "/train-images-idx3-ubyte.gz", labels: mnistDirectory + "/train-labels-idx1-ubyte.gz")
    let (x, _) = Preprocessing().batch(train, indices: Array(0..<train.count), as: Float.self)
    loaded = x.count
  }
  emit("All 60,000 training images (gzipped IDX, \(mnistDirectory)) read, decompressed, checked and converted")
  emit("to one binary32 tensor of \(loaded) values (k/255 in binary64, rounded once): \(String(format: "%.3f", seconds)) s.")
} else {
  emit("MNIST not found at \(mnistDirectory) (set PRECISIONLAB_MNIST): not measured.")
}

if let index = CommandLine.arguments.firstIndex(of: "--write"), index + 1 < CommandLine.arguments.count {
  try! (report.joined(separator: "\n") + "\n").write(toFile: CommandLine.arguments[index + 1], atomically: true, encoding: .utf8)
}
