// Scalar benchmarks (release mode): ns per operation for every format and rounding mode, values per
// second for rounding a binary64 array into each binary64-engine format, and MPFR multiply-accumulate
// next to raw mpfr_fma on preallocated variables.
//
//   swift build -c release && .build/release/precisionlab-bench [--quick] [--write docs/PERFORMANCE.md]
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
emit("Written by `.build/release/precisionlab-bench --write docs/PERFORMANCE.md` (release build).")
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

// MARK: Networks

emit()
emit("## Networks: forward + backward (one thread)")
emit()
emit("MLP 784-256-256-256-10, batch \(quick ? 32 : 256), mean cross-entropy, synthetic inputs (20% exact zeros),")
emit("sequential unfused accumulation; best of the timed passes (1 for the slow formats).")
emit()
emit("| format | accumulate | seconds per forward + backward |")
emit("| --- | --- | ---: |")
let mlpWidths = [784, 256, 256, 256, 10]
let mlpBatch = quick ? 32 : 256
for (name, accumulate, repeats) in [("fp16", AccumulationChoice.same, 1), ("fp16", .binary32, 1), ("bf16", .same, 2), ("bf16", .binary32, 2), ("fp32", .same, 3), ("fp64", .same, 3), ("mpfr:113", .same, 1)] {
  let seconds = try! NetworkBenchmark.mlpForwardBackward(
    widths: mlpWidths, batch: mlpBatch, format: try! FloatFormat.named(name), accumulate: accumulate, repeats: repeats)
  emit("| \(name) | \(accumulate == .same ? name : accumulate.rawValue) | \(String(format: "%.3f", seconds)) |")
}
emit()
emit("fp16 is hardware `Float16`: on this x86-64 CPU every half operation converts through binary32 in")
emit("software, which is what makes it slower than emulated bfloat16.")
emit()
emit("## Matrix multiply, binary32 (256×784 times 784×256, one thread)")
emit()
do {
  var g = SplitMix(seed: 3)
  let a = Tensor<Float>(shape: [256, 784], doubles: (0..<(256 * 784)).map { _ in Double(g.next() >> 11) * 0x1p-53 - 0.5 })
  let b = Tensor<Float>(shape: [256, 784], doubles: (0..<(256 * 784)).map { _ in Double(g.next() >> 11) * 0x1p-53 - 0.5 })
  for (label, options) in [("sequential, unfused", KernelOptions()), ("sequential, fused", KernelOptions(fused: true)), ("pairwise", KernelOptions(order: .pairwise))] {
    let seconds = time(repeats: 3) {
      blackHole(MatrixMultiply.timesTransposed(a, b, accumulate: Float.self, options: options))
    }
    emit("- \(label): \(String(format: "%.2f", 2.0 * 256 * 784 * 256 / seconds / 1e9)) GFLOP/s")
  }
}
emit()
emit("The kernels are correct, deterministic reference kernels (one dot product per output, in the")
emit("documented order); blocking, SIMD and threads come with the performance work.")

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
