/// The formats a precision study needs, and the names the command line accepts for them.
extension FloatFormat {
  /// IEEE 754 binary16 (half): p = 11, emax = 15.
  public static let binary16 = try! FloatFormat.ieee("binary16", precision: 11, emax: 15)
  /// bfloat16: binary32's exponent range with p = 8.
  public static let bfloat16 = try! FloatFormat.ieee("bfloat16", precision: 8, emax: 127)
  /// NVIDIA TensorFloat-32: binary32's exponent range with binary16's p = 11.
  public static let tf32 = try! FloatFormat.ieee("tf32", precision: 11, emax: 127)
  /// IEEE 754 binary32.
  public static let binary32 = try! FloatFormat.ieee("binary32", precision: 24, emax: 127)
  /// IEEE 754 binary64.
  public static let binary64 = try! FloatFormat.ieee("binary64", precision: 53, emax: 1023)
  /// x87 80-bit extended precision: p = 64 (explicit leading bit), emax = 16383.
  public static let x87Extended = try! FloatFormat.ieee("fp80", precision: 64, emax: 16383)
  /// IEEE 754 binary128 (quad): p = 113, emax = 16383.
  public static let binary128 = try! FloatFormat.ieee("binary128", precision: 113, emax: 16383)
  /// OCP 8-bit E4M3 (OFP8 v1.0): bias 7, emax 8, subnormals, no infinities, NaN only S.1111.111, so
  /// the largest finite value is 448. Non-saturating: overflow gives NaN (see `saturating()`).
  public static let e4m3 = try! FloatFormat(
    name: "e4m3", precision: 4, emin: -6, emax: 8, hasInfinities: false, nanEncoding: .singlePattern,
    overflow: .nan, largestSignificandDeficit: 2)
  /// OCP 8-bit E5M2: IEEE-like, bias 15, emax 15, largest finite 57344, infinities and NaN.
  public static let e5m2 = try! FloatFormat.ieee("e5m2", precision: 3, emax: 15)
  /// OCP MX FP6 E2M3: bias 1, emax 2, largest finite 7.5, no infinities or NaN; saturates.
  public static let fp6e2m3 = try! FloatFormat(
    name: "fp6-e2m3", precision: 4, emin: 0, emax: 2, hasInfinities: false, nanEncoding: .none)
  /// OCP MX FP6 E3M2: bias 3, emax 4, largest finite 28, no infinities or NaN; saturates.
  public static let fp6e3m2 = try! FloatFormat(
    name: "fp6-e3m2", precision: 3, emin: -2, emax: 4, hasInfinities: false, nanEncoding: .none)
  /// OCP MX FP4 E2M1: bias 1, emax 2, largest finite 6, no infinities or NaN; saturates.
  public static let fp4e2m1 = try! FloatFormat(
    name: "fp4-e2m1", precision: 2, emin: 0, emax: 2, hasInfinities: false, nanEncoding: .none)

  /// Every preset, in table order.
  public static let presets: [FloatFormat] = [
    binary16, bfloat16, tf32, binary32, binary64, x87Extended, binary128,
    e4m3, e4m3.saturating(), e5m2, e5m2.saturating(), fp6e2m3, fp6e3m2, fp4e2m1,
  ]

  /// Accepted names: each preset's name and these aliases.
  static let aliases: [String: FloatFormat] = [
    "fp16": binary16, "half": binary16, "bf16": bfloat16, "fp32": binary32, "single": binary32,
    "fp64": binary64, "double": binary64, "float80": x87Extended, "fp128": binary128, "quad": binary128,
    "e4m3fn": e4m3,
  ]

  public static var presetNames: [String] {
    presets.map(\.name) + aliases.keys.sorted()
  }

  /// The format a name denotes:
  /// - a preset name or alias (`fp16`, `bf16`, `tf32`, `e4m3`, `e4m3-sat`, `binary128`, ...);
  /// - `mpfr:P`: MPFR with P bits and MPFR's own (unbounded) exponent range, 2 ≤ P ≤ `maxPrecision`;
  /// - `mpfr:P:EMAX`: MPFR with P bits and an IEEE-style range emin = 1 − EMAX, with subnormals;
  /// - `ieee:P:EMAX`: an IEEE-style format (subnormals, infinities, NaN), evaluated by whichever
  ///   engine fits (binary64-based for P ≤ 51 and EMAX ≤ 300, else MPFR).
  public static func named(_ name: String) throws(FormatError) -> FloatFormat {
    let lower = name.lowercased()
    if let preset = presets.first(where: { $0.name == lower }) ?? aliases[lower] { return preset }
    let parts = lower.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard parts.count >= 2, parts[0] == "mpfr" || parts[0] == "ieee" else {
      throw .unknownName(name)
    }
    let numbers = parts.dropFirst().map { Int($0) }
    guard numbers.allSatisfy({ $0 != nil }) else {
      throw .invalid("'\(name)': expected \(parts[0]):P\(parts[0] == "mpfr" ? "[:EMAX]" : ":EMAX") with whole numbers")
    }
    let values = numbers.map { $0! }
    switch (parts[0], values.count) {
    case ("mpfr", 1):
      return try FloatFormat(
        name: lower, precision: values[0], emin: MPFRFormatConstants.unboundedEmin,
        emax: MPFRFormatConstants.unboundedEmax, hasSubnormals: false, isExponentBounded: false)
    case ("mpfr", 2), ("ieee", 2):
      guard values[1] >= 1 else { throw .invalid("'\(name)': EMAX must be at least 1") }
      return try FloatFormat.ieee(lower, precision: values[0], emax: values[1])
    default:
      throw .invalid("'\(name)': expected mpfr:P, mpfr:P:EMAX or ieee:P:EMAX")
    }
  }
}
