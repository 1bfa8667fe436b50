// Exhaustive verification (release mode): emulated binary16 against hardware Float16 on every pair of
// values for + and ×, every value for √ and conversions; emulated bfloat16 on every pair for +
// against binary32 hardware addition rounded to bfloat16 by an independent bit-level rounding.
//
//   swift build -c release && .build/release/precisionlab-verify [--write docs/VERIFICATION.md]
import Dispatch
import Foundation
import Scalars

struct Check {
  let name: String
  let cases: Int
  let mismatches: Int
  let example: String?
  let seconds: Double
}

func same(_ a: Double, _ b: Double) -> Bool { (a.isNaN && b.isNaN) || a.bitPattern == b.bitPattern }

/// Runs `body(high)` for high in 0..<65536 on every core; each returns (mismatches, first example).
func everyHigh(_ name: String, cases: Int, _ body: @escaping @Sendable (UInt16) -> (Int, String?)) -> Check {
  let start = Date()
  let results = UnsafeMutableBufferPointer<(Int, String?)>.allocate(capacity: 65536)
  defer { results.deallocate() }
  nonisolated(unsafe) let shared = results
  DispatchQueue.concurrentPerform(iterations: 256) { block in
    for i in 0..<256 {
      let high = UInt16(block * 256 + i)
      shared[Int(high)] = body(high)
    }
  }
  let mismatches = results.reduce(0) { $0 + $1.0 }
  let example = results.first { $0.1 != nil }?.1
  let check = Check(name: name, cases: cases, mismatches: mismatches, example: example, seconds: Date().timeIntervalSince(start))
  print("\(name): \(cases) cases, \(mismatches) mismatches, \(String(format: "%.1f", check.seconds)) s\(example.map { " (first: \($0))" } ?? "")")
  return check
}

/// Independent binary32 → bfloat16 rounding (to nearest, ties to even) on the bit pattern.
@inline(__always) func bfloat16Bits(_ f: Float) -> UInt16 {
  if f.isNaN { return 0x7FC0 }
  let bits = f.bitPattern
  return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
}

@inline(__always) func bfloat16Value(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

var checks: [Check] = []

/// Every pair of binary16 values through the emulated operation and the hardware one.
func everyBinary16Pair(
  _ name: String, _ emulated: @escaping @Sendable (Binary16, Binary16) -> Binary16,
  _ hardware: @escaping @Sendable (Float16, Float16) -> Float16
) -> Check {
  everyHigh("binary16 a \(name) b, every pair", cases: 1 << 32) { high in
    var bad = 0
    var example: String?
    let a = Float16(bitPattern: high)
    let ea = Binary16(exactly: Double(a))
    for low in 0...UInt16.max {
      let b = Float16(bitPattern: low)
      let got = emulated(ea, Binary16(exactly: Double(b))).value
      let want = hardware(a, b)
      if !same(got, Double(want)) {
        bad += 1
        if example == nil { example = "\(a) \(name) \(b) = \(got), hardware \(want)" }
      }
    }
    return (bad, example)
  }
}

checks.append(everyBinary16Pair("+", { $0 + $1 }, { $0 + $1 }))
checks.append(everyBinary16Pair("*", { $0 * $1 }, { $0 * $1 }))

/// The binary16 value that `mode` gives for the exact binary64 `s`, from hardware conversion and
/// `nextUp`/`nextDown` only (independent of PrecisionLab's engines). `s` must be exact: binary16 sums
/// and products are (at most 41 and 22 significant bits).
func directedBinary16(_ s: Double, _ mode: RoundingMode) -> Double {
  if s.isNaN { return .nan }
  let nearest = Float16(s)  // hardware: round to nearest even
  if Double(nearest) == s { return Double(nearest) }
  let (low, high) = Double(nearest) < s ? (nearest, nearest.nextUp) : (nearest.nextDown, nearest)
  let lowIsOdd = low.bitPattern & 1 == 1
  let result: Float16
  switch mode {
  case .towardNegative: result = low
  case .towardPositive: result = high
  case .towardZero: result = s > 0 ? low : high
  case .nearestAway:
    let midpoint = (Double(low) + Double(high)) / 2  // exact
    result = s == midpoint ? (s > 0 ? high : low) : nearest
  case .odd: result = low.isInfinite ? high : (high.isInfinite ? low : (lowIsOdd ? low : high))
  case .nearestEven, .stochastic: result = nearest
  }
  return Double(result)
}

/// Every pair of binary16 values added (or multiplied) in a directed, away or odd mode.
func everyBinary16PairIn(_ mode: RoundingMode, multiply: Bool) -> Check {
  everyHigh("binary16 a \(multiply ? "*" : "+") b, \(mode), every pair", cases: 1 << 32) { high in
    RoundingEnvironment.mode = mode
    var bad = 0
    var example: String?
    let a = Double(Float16(bitPattern: high))
    let ea = Binary16(exactly: a)
    for low in 0...UInt16.max {
      let b = Double(Float16(bitPattern: low))
      let got = (multiply ? ea * Binary16(exactly: b) : ea + Binary16(exactly: b)).value
      let s = multiply ? a * b : a + b  // exact
      var want = directedBinary16(s, mode)
      if !multiply && s == 0 {  // IEEE 754 §6.3: exact zero sums
        want = (a == 0 && b == 0 && a.sign == b.sign) ? a : (mode == .towardNegative ? -0.0 : 0.0)
      }
      if !same(got, want) {
        bad += 1
        if example == nil { example = "\(mode): \(a) \(multiply ? "*" : "+") \(b) = \(got), expected \(want)" }
      }
    }
    RoundingEnvironment.mode = .nearestEven
    return (bad, example)
  }
}

for mode in [RoundingMode.towardZero, .towardPositive, .towardNegative, .nearestAway, .odd] {
  checks.append(everyBinary16PairIn(mode, multiply: false))
}
checks.append(everyBinary16PairIn(.towardNegative, multiply: true))
checks.append(everyBinary16PairIn(.odd, multiply: true))

checks.append(everyHigh("bfloat16 a + b, every pair", cases: 1 << 32) { high in
  var bad = 0
  var example: String?
  let a = bfloat16Value(high)
  let ea = BFloat16(exactly: Double(a))
  for low in 0...UInt16.max {
    let b = bfloat16Value(low)
    let got = (ea + BFloat16(exactly: Double(b))).value
    let want = Double(bfloat16Value(bfloat16Bits(a + b)))
    if !same(got, want) {
      bad += 1
      if example == nil { example = "\(a) + \(b) = \(got), reference \(want)" }
    }
  }
  return (bad, example)
})

checks.append(everyHigh("binary32 → binary16 conversion, every binary32", cases: 1 << 32) { high in
  var bad = 0
  var example: String?
  for low in 0...UInt16.max {
    let f = Float(bitPattern: UInt32(high) << 16 | UInt32(low))
    let got = Binary16(Double(f)).value
    if !same(got, Double(Float16(f))) {
      bad += 1
      if example == nil { example = "\(f) → \(got), hardware \(Float16(f))" }
    }
  }
  return (bad, example)
})

checks.append(everyHigh("binary16 sqrt and text round trip, every value", cases: 1 << 16) { high in
  guard high == 0 else { return (0, nil) }
  var bad = 0
  var example: String?
  let calculator = FormatCalculator(format: .binary16)
  for bits in 0...UInt16.max {
    let a = Float16(bitPattern: bits)
    let got = Binary16(exactly: Double(a)).squareRoot().value
    let back = try! calculator.read(Binary16(exactly: Double(a)).hexDescription)
    if !same(got, Double(a.squareRoot())) || calculator.hex(back) != HexFloat.format(Double(a)) {
      bad += 1
      if example == nil { example = "sqrt(\(a)) = \(got), hardware \(a.squareRoot())" }
    }
  }
  return (bad, example)
})

let total = checks.reduce(0) { $0 + $1.mismatches }
print(total == 0 ? "all exhaustive checks passed" : "\(total) mismatches")

if let index = CommandLine.arguments.firstIndex(of: "--write"), index + 1 < CommandLine.arguments.count {
  let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
    .split(separator: "\n").first { $0.hasPrefix("model name") }?
    .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown"
  var text = """
    # Exhaustive verification

    Written by `make verify` (`swift build -c release && .build/release/precisionlab-verify --write docs/VERIFICATION.md`).
    Machine: \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores. \
    Date: \(ISO8601DateFormatter().string(from: Date())).

    Oracles: hardware `Float16` arithmetic and conversion (correctly rounded: Swift computes half
    operations in binary32 and rounds once, exact since 24 ≥ 2·11 + 2); for bfloat16, hardware binary32
    addition rounded to bfloat16 by an independent bit-level round-to-nearest-even (exact for the same
    reason, 24 ≥ 2·8 + 2). For the other rounding modes: binary16 sums and products are exact in
    binary64, and the expected result is picked from the two binary16 neighbours that hardware
    conversion and `nextUp`/`nextDown` give (IEEE 754's sign rule for exact zero sums). Results
    compared bit for bit, NaN as NaN, signed zeros distinguished.

    | check | cases | mismatches | seconds |
    | --- | ---: | ---: | ---: |

    """
  for c in checks {
    text += "| \(c.name) | \(c.cases) | \(c.mismatches) | \(String(format: "%.1f", c.seconds)) |\n"
  }
  text += "\n" + (total == 0 ? "All exhaustive checks passed.\n" : "\(total) mismatches; first: \(checks.compactMap(\.example).first ?? "")\n")
  try! text.write(toFile: CommandLine.arguments[index + 1], atomically: true, encoding: .utf8)
}
exit(total == 0 ? 0 : 1)
