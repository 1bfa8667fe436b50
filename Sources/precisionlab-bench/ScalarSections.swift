import CMPFR
import Dispatch
import Foundation
import ScalarConformance
import Scalars
import Tensors

/// ns per operation of every format and mode.
func scalarSection() {
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
  // Above p = 26 the binary64 engine needs error terms for × and fma; its peer is the same format on MPFR
  // (where such formats went before the engine held them).
  let wide40 = try! FloatFormat.named("ieee:40:127")
  EmulatedFloat.withFormat(wide40) {
    row(EmulatedFloat.self, "ieee:40:127 (EmulatedFloat)", modes: quick ? [.nearestEven] : [.nearestEven, .towardZero, .stochastic], n: smallN, rounds: smallRounds)
  }
  let wideN = 1024, wideRounds = quick ? 5 : 40
  MPFRFloat.withFormat(wide40) {
    row(MPFRFloat.self, "ieee:40:127 (MPFRFloat)", modes: quick ? [.nearestEven] : [.nearestEven, .towardZero, .stochastic], n: wideN, rounds: wideRounds)
  }
  // binary64 in the other modes: hardware operations and error-free transformations, beside its MPFR peer.
  row(Binary64.self, "binary64 (error-free engine)", modes: quick ? [.towardZero] : [.nearestEven, .towardZero, .towardPositive, .nearestAway, .odd, .stochastic], n: smallN, rounds: smallRounds)
  row(Binary64MPFR.self, "binary64 (MPFR)", modes: quick ? [.nearestEven] : [.nearestEven, .towardZero, .nearestAway, .stochastic], n: wideN, rounds: wideRounds)
  row(Binary128.self, "binary128 (integer engine)", modes: someModes, n: wideN, rounds: wideRounds)
  // Its peer: the same format on MPFR (where binary128 ran before the integer engine).
  row(Binary128MPFR.self, "binary128 (MPFR)", modes: someModes, n: wideN, rounds: wideRounds)
  MPFRFloat.withFormat(try! FloatFormat.named("mpfr:256")) {
    row(MPFRFloat.self, "mpfr:256", modes: quick ? [.nearestEven] : [.nearestEven, .towardZero, .odd, .stochastic], n: wideN, rounds: wideRounds)
  }
  emit()
  emit("Operators on MPFR-engine types (MPFR rows, mpfr:256) allocate their result (value semantics); `fma` here is the in-place")
  emit("`fusedMultiplyAccumulate`, which allocates nothing.")

}

/// Rounding a binary64 array into each binary64-engine format.
func roundingSection() {

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
    var g = SplitMix64(seed: 7)
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

}

/// MPFR multiply-accumulate and matrix multiply next to raw MPFR.
func mpfrSection() {
  mpfrMultiplyAccumulate()
  mpfrMatrixMultiply()
}

/// MPFR multiply-accumulate in place, next to raw MPFR on preallocated variables.
func mpfrMultiplyAccumulate() {
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
}

/// An MPFR matrix product, next to raw MPFR over the same operands.
func mpfrMatrixMultiply() {
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
    var g = SplitMix64(seed: 5)
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
}
