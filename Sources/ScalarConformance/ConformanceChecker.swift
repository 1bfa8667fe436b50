import Scalars

/// Runs any `PrecisionScalar` type through PrecisionLab's reference arithmetic and reports every way it
/// departs from its own format description: use it on your own scalar types.
///
/// The reference is `FormatCalculator` on `T.format` (the binary64 or MPFR engine, themselves checked
/// against exact rational arithmetic and against hardware in PrecisionLab's tests). For each mode in
/// `modes` it checks, on reproducible random operands spanning the format's range:
/// - conversion from Double and Int, `doubleValue`, `hexDescription` (exact and in the format);
/// - + − × ÷ √, fused multiply-add and the unfused multiply-accumulate, correctly rounded;
/// - ordering, `isZero`, `isNaN`, `isFinite`, signed zeros, and the format's description;
/// - `exp` and `log`: correctly rounded if `correctlyRoundedElementary`, else within one ulp
///   (between the results rounded down and up).
/// Stochastic rounding, if listed, must give one of the two neighbours of the exact result.
public enum ConformanceChecker {
  public struct Report: CustomStringConvertible, Sendable {
    public let typeName: String
    public let checks: Int
    /// The first failures (at most `limit`), each naming the operation, operands, result and expected.
    public let failures: [String]
    public let failureCount: Int
    public var passed: Bool { failureCount == 0 }
    public var description: String {
      passed
        ? "\(typeName): \(checks) checks passed"
        : "\(typeName): \(failureCount) of \(checks) checks failed\n" + failures.map { "  " + $0 }.joined(separator: "\n")
    }
  }

  public static func check<T: PrecisionScalar>(
    _ type: T.Type, modes: [RoundingMode] = [.nearestEven], samples: Int = 500, seed: UInt64 = 1,
    correctlyRoundedElementary: Bool = true, limit: Int = 10
  ) -> Report {
    var recorder = Recorder(limit: limit)
    let format = T.format
    let reference = FormatCalculator(format: format)
    checkDescription(format, &recorder)
    checkSpecials(T.self, &recorder)
    var sampler = OperandSampler<T>(seed: seed)
    for mode in modes {
      RoundingEnvironment.with(mode, seed: seed) {
        for _ in 0..<samples {
          let d = sampler.double()
          let (x, y) = sampler.pair()
          let z = sampler.value()
          checkConversions(d, T.self, reference, mode, &recorder)
          checkRepresentation(x, reference, &recorder)
          checkOperations(x, y, z, reference, mode, correctlyRoundedElementary, &recorder)
        }
      }
    }
    return Report(
      typeName: String(describing: T.self), checks: recorder.checks, failures: recorder.failures,
      failureCount: recorder.failureCount)
  }

  struct Recorder {
    let limit: Int
    var checks = 0
    var failureCount = 0
    var failures: [String] = []
    mutating func expect(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
      checks += 1
      if !condition() {
        failureCount += 1
        if failures.count < limit { failures.append(message()) }
      }
    }
  }

  static func checkDescription(_ f: FloatFormat, _ r: inout Recorder) {
    r.expect(f.precision >= 2, "\(f.name): precision \(f.precision) < 2")
    r.expect(f.emin < f.emax, "\(f.name): emin \(f.emin) ≥ emax \(f.emax)")
    let reference = FormatCalculator(format: f)
    // The extreme values must be values of the format (the unit roundoff is a ratio, not a value).
    let values = [FloatFormat.Constant.largestFinite, .smallestNormal, .smallestSubnormal].map { f.hex($0) }
    let parsed = values.compactMap { try? reference.read($0) }.map(reference.hex)
    r.expect(parsed == values, "\(f.name): format constants \(values) are not values of the format (\(parsed))")
  }

  static func checkSpecials<T: PrecisionScalar>(_: T.Type, _ r: inout Recorder) {
    let f = T.format
    r.expect(T(0).isZero && T(0).hexDescription == "0x0p+0", "T(0) = \(T(0).hexDescription)")
    r.expect(T(-0.0).isZero && T(-0.0).hexDescription == "-0x0p+0", "T(-0.0) = \(T(-0.0).hexDescription)")
    r.expect(T(1).hexDescription == "0x1p+0" && !T(1).isZero, "T(1) = \(T(1).hexDescription)")
    r.expect(T(Double.nan).isNaN && !T(Double.nan).isFinite, "T(nan) = \(T(Double.nan).hexDescription)")
    let inf = T(1) / T(0)
    if f.hasInfinities {
      r.expect(!inf.isFinite && !inf.isNaN && inf.hexDescription == "inf", "1/0 = \(inf.hexDescription)")
    }
    r.expect((T(0) / T(0)).isNaN, "0/0 = \((T(0) / T(0)).hexDescription)")
    r.expect(T(-1).squareRoot().isNaN, "sqrt(-1) = \(T(-1).squareRoot().hexDescription)")
    r.expect(T(-0.0).squareRoot().hexDescription == "-0x0p+0", "sqrt(-0) = \(T(-0.0).squareRoot().hexDescription)")
    let literal: T = 3
    r.expect(literal.hexDescription == T(3).hexDescription, "literal 3 = \(literal.hexDescription)")
  }

  static func checkConversions<T: PrecisionScalar>(
    _ d: Double, _: T.Type, _ reference: FormatCalculator, _ mode: RoundingMode, _ r: inout Recorder
  ) {
    let stochastic = mode == .stochastic
    let got = T(d).hexDescription
    r.expect(
      matches(got, reference, stochastic: stochastic) { try! reference.read(HexFloat.format(d)) },
      "\(mode) T(\(HexFloat.format(d))) = \(got)")
    let n = Int(truncatingIfNeeded: d.bitPattern) >> Int(d.bitPattern % 64)
    let gotInt = T(n).hexDescription
    r.expect(
      matches(gotInt, reference, stochastic: stochastic) { try! reference.read(String(n)) },
      "\(mode) T(\(n)) = \(gotInt)")
  }

  static func checkRepresentation<T: PrecisionScalar>(_ x: T, _ reference: FormatCalculator, _ r: inout Recorder) {
    let hex = x.hexDescription
    let back = RoundingEnvironment.with(.nearestEven) { (try? reference.read(hex)).map(reference.hex) }
    r.expect(back == hex, "\(hex) is not a value of \(reference.format.name) (reads back as \(back ?? "error"))")
    let binary64 = FormatCalculator(format: .binary64)
    let expected = RoundingEnvironment.with(.nearestEven) { (try? binary64.read(hex)).map(binary64.hex) }
    r.expect(HexFloat.format(x.doubleValue) == expected, "doubleValue of \(hex) = \(x.doubleValue)")
    r.expect(x.isNaN == (hex == "nan"), "isNaN of \(hex)")
    r.expect(x.isFinite == (hex != "nan" && !hex.hasSuffix("inf")), "isFinite of \(hex)")
    r.expect(x.isZero == hex.hasSuffix("0x0p+0"), "isZero of \(hex)")
  }

  static func checkOperations<T: PrecisionScalar>(
    _ x: T, _ y: T, _ z: T, _ reference: FormatCalculator, _ mode: RoundingMode, _ elementaryCR: Bool,
    _ r: inout Recorder
  ) {
    let stochastic = mode == .stochastic
    guard let rx = try? reference.read(x.hexDescription), let ry = try? reference.read(y.hexDescription),
      let rz = try? reference.read(z.hexDescription)
    else { return }
    func compare(_ name: String, _ got: T, _ op: FormatCalculator.Operation, _ operands: [FormatCalculator.Value]) {
      let hex = got.hexDescription
      r.expect(
        matches(hex, reference, stochastic: stochastic) { reference.apply(op, operands) },
        "\(mode) \(name)(\(x.hexDescription), \(y.hexDescription), \(z.hexDescription)) = \(hex), reference \(RoundingEnvironment.with(.nearestEven) { reference.hex(reference.apply(op, operands)) }) (nearest)")
    }
    compare("add", x + y, .add, [rx, ry])
    compare("sub", x - y, .sub, [rx, ry])
    compare("mul", x * y, .mul, [rx, ry])
    compare("div", x / y, .div, [rx, ry])
    compare("sqrt", x.squareRoot(), .sqrt, [rx])
    compare("fma", T.fusedMultiplyAdd(x, y, z), .fma, [rx, ry, rz])
    if !stochastic {
      var acc = z
      T.multiplyAccumulate(&acc, x, y)
      let product = reference.apply(.mul, [rx, ry])
      compare("mac", acc, .add, [rz, product])
    }
    var inPlace = x
    inPlace += y
    r.expect(inPlace.hexDescription == (x + y).hexDescription || stochastic, "+= differs from + for \(x), \(y)")
    r.expect((-x).hexDescription == negated(x.hexDescription), "-(\(x.hexDescription)) = \((-x).hexDescription)")
    if !x.isNaN && !y.isNaN {
      let order = RoundingEnvironment.with(.nearestEven) { reference.apply(.sub, [rx, ry]) }
      let difference = reference.hex(order)
      let less = difference.hasPrefix("-") && !difference.hasSuffix("0x0p+0")
      r.expect(
        (x < y) == less || difference.hasSuffix("inf") || difference == "nan",
        "(\(x.hexDescription) < \(y.hexDescription)) = \(x < y)")
    }
    for (name, op, value) in [("exp", FormatCalculator.Operation.exp, T.exp(x)), ("log", .log, T.log(x))] {
      let hex = value.hexDescription
      if elementaryCR {
        r.expect(matches(hex, reference, stochastic: stochastic) { reference.apply(op, [rx]) }, "\(mode) \(name)(\(x.hexDescription)) = \(hex)")
      } else {
        r.expect(
          matches(hex, reference, stochastic: true) { reference.apply(op, [rx]) },
          "\(name)(\(x.hexDescription)) = \(hex): more than one ulp from the exact value")
      }
    }
  }

  /// Whether `got` equals the reference result in the current mode, or, for `stochastic`, one of the
  /// results rounded toward −∞ and +∞.
  static func matches(
    _ got: String, _ reference: FormatCalculator, stochastic: Bool, _ compute: () -> FormatCalculator.Value
  ) -> Bool {
    if !stochastic { return got == reference.hex(compute()) }
    let down = RoundingEnvironment.with(.towardNegative) { reference.hex(compute()) }
    let up = RoundingEnvironment.with(.towardPositive) { reference.hex(compute()) }
    return got == down || got == up || (down.hasSuffix("0x0p+0") && got.hasSuffix("0x0p+0"))
  }

  static func negated(_ hex: String) -> String {
    if hex == "nan" { return hex }
    return hex.hasPrefix("-") ? String(hex.dropFirst()) : "-" + hex
  }
}
