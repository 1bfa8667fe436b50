import CMPFR

/// Arithmetic in a format chosen at run time (the `calc` command): reads operands from text, applies
/// one correctly rounded operation in the thread's rounding mode, and writes the result as exact hex
/// or as the shortest decimal that reads back to the same value.
public struct FormatCalculator {
  public let format: FloatFormat

  public init(format: FloatFormat) { self.format = format }

  /// One correctly rounded operation; `round` converts its operand into the format.
  public enum Operation: String, CaseIterable, Sendable {
    case add, sub, mul, div, sqrt, fma, round, exp, log

    public var arity: Int {
      switch self {
      case .sqrt, .round, .exp, .log: return 1
      case .add, .sub, .mul, .div: return 2
      case .fma: return 3
      }
    }
  }

  /// A value of the calculator's format.
  public enum Value {
    case small(Double)
    case wide(MPFRNumber)
  }

  /// The text's exact value, rounded once into the format in the current mode.
  public func read(_ text: String) throws(NumberTextError) -> Value {
    let mode = RoundingEnvironment.mode
    switch format.engine {
    case .double:
      return .small(SmallFormatArithmetic.round(try NumberText.roundedToOdd53(text), 0, mode, format.small))
    case .mpfr:
      return .wide(try MPFRNumber(text: text, format.mpfr, mode))
    }
  }

  /// `read` for the `count` bytes of text at `start`, which must be followed by a NUL byte (the fast
  /// path of `calc --batch`, which reads no Swift strings).
  public func read(_ start: UnsafePointer<CChar>, count: Int) throws(NumberTextError) -> Value {
    let mode = RoundingEnvironment.mode
    switch format.engine {
    case .double:
      return .small(SmallFormatArithmetic.round(try NumberText.roundedToOdd53(start, count: count), 0, mode, format.small))
    case .mpfr:
      return .wide(try MPFRNumber(text: start, count: count, format.mpfr, mode))
    }
  }

  /// `operation` applied to `operands` (exactly `operation.arity` of them), correctly rounded.
  public func apply(_ operation: Operation, _ operands: [Value]) -> Value {
    precondition(operands.count == operation.arity, "\(operation) takes \(operation.arity) operands")
    let mode = RoundingEnvironment.mode
    switch format.engine {
    case .double:
      let c = format.small
      let x = operands.map { if case .small(let v) = $0 { return v } else { preconditionFailure() } }
      switch operation {
      case .add: return .small(SmallFormatArithmetic.add(x[0], x[1], mode, c))
      case .sub: return .small(SmallFormatArithmetic.add(x[0], -x[1], mode, c))
      case .mul: return .small(SmallFormatArithmetic.multiply(x[0], x[1], mode, c))
      case .div: return .small(SmallFormatArithmetic.divide(x[0], x[1], mode, c))
      case .sqrt: return .small(SmallFormatArithmetic.squareRoot(x[0], mode, c))
      case .fma: return .small(SmallFormatArithmetic.fusedMultiplyAdd(x[0], x[1], x[2], mode, c))
      case .round: return .small(x[0])
      case .exp: return .small(SmallFormatArithmetic.viaMPFR(x[0], mode, c) { mpfr_exp($0, $1, $2) })
      case .log: return .small(SmallFormatArithmetic.viaMPFR(x[0], mode, c) { mpfr_log($0, $1, $2) })
      }
    case .mpfr:
      let c = format.mpfr
      let x = operands.map { if case .wide(let v) = $0 { return v } else { preconditionFailure() } }
      let p = x.map(\.pointer)
      defer { withExtendedLifetime(x) {} }
      switch operation {
      case .add: return .wide(MPFRNumber(c, mode) { mpfr_add($0, p[0], p[1], $1) })
      case .sub: return .wide(MPFRNumber(c, mode) { mpfr_sub($0, p[0], p[1], $1) })
      case .mul: return .wide(MPFRNumber(c, mode) { mpfr_mul($0, p[0], p[1], $1) })
      case .div: return .wide(MPFRNumber(c, mode) { mpfr_div($0, p[0], p[1], $1) })
      case .sqrt: return .wide(MPFRNumber(c, mode) { mpfr_sqrt($0, p[0], $1) })
      case .fma: return .wide(MPFRNumber(c, mode) { mpfr_fma($0, p[0], p[1], p[2], $1) })
      case .round: return .wide(x[0])
      case .exp: return .wide(MPFRNumber(c, mode) { mpfr_exp($0, p[0], $1) })
      case .log: return .wide(MPFRNumber(c, mode) { mpfr_log($0, p[0], $1) })
      }
    }
  }

  /// Exact C99 hexadecimal text.
  public func hex(_ value: Value) -> String {
    switch value {
    case .small(let v): return HexFloat.format(v)
    case .wide(let v): return v.hexDescription
    }
  }

  /// The shortest decimal (fewest significant digits, nearest at that length) that reads back, rounded
  /// to nearest even, to exactly `value`.
  ///
  /// Up to 4,096 bits of precision every length is tried in turn. Above, the length is found by
  /// bisection (about log2 of ⌈p·log10 2⌉ + 1 conversions instead of that many, so `mpfr:1048576`
  /// prints in seconds). Bisection relies on longer nearest decimals never reading back worse, which
  /// holds except for a power of two, whose rounding interval is lopsided: there the text always reads
  /// back exactly, but may be longer than the shortest.
  public func shortestDecimal(_ value: Value) -> String {
    let exact = hex(value)
    if exact == "nan" || exact.hasSuffix("inf") { return exact }
    if exact.hasSuffix("0x0p+0") { return exact.hasPrefix("-") ? "-0" : "0" }
    let precision: Int
    switch value {
    case .small: precision = 53
    case .wide(let v): precision = v.constants.precision
    }
    // ⌈p·log10(2)⌉ + 1 digits always read back.
    let bound = Int((Double(format.precision) * 0.30102999566398120).rounded(.up)) + 1
    return withTemporaryMPFR(precision: precision) { x in
      MPFRArithmetic.setWidestRange()
      switch value {
      case .small(let v): mpfr_set_d(x, v, MPFR_RNDN)
      case .wide(let v): mpfr_set(x, v.pointer, MPFR_RNDN)
      }
      func readsBack(_ candidate: String) -> Bool {
        let back = RoundingEnvironment.with(.nearestEven) { try? read(candidate) }
        return back.map { hex($0) == exact } ?? false
      }
      if format.precision <= 4096 {
        var candidate = ""
        for digits in 1...max(bound, 1) {
          candidate = Self.decimal(x, digits: digits)
          if readsBack(candidate) { return candidate }
        }
        return candidate
      }
      var (low, high) = (0, max(bound, 1))  // `high` digits read back; `low` digits do not (0: none)
      var best = Self.decimal(x, digits: high)
      while high - low > 1 {
        let middle = low + (high - low) / 2
        let candidate = Self.decimal(x, digits: middle)
        if readsBack(candidate) { (high, best) = (middle, candidate) } else { low = middle }
      }
      return best
    }
  }

  /// `x` rounded to nearest at `digits` significant decimal digits, as `d.ddde±x`.
  static func decimal(_ x: UnsafeMutablePointer<__mpfr_struct>, digits: Int) -> String {
    var exp: mpfr_exp_t = 0
    guard let raw = mpfr_get_str(nil, &exp, 10, digits, x, MPFR_RNDN) else { return "nan" }
    defer { mpfr_free_str(raw) }
    var text = String(cString: raw)
    let negative = text.hasPrefix("-")
    if negative { text.removeFirst() }
    var mantissa = Array(text)
    while mantissa.count > 1 && mantissa.last == "0" { mantissa.removeLast() }
    let head = String(mantissa[0])
    let tail = mantissa.count > 1 ? "." + String(mantissa[1...]) : ""
    let e = Int(exp) - 1
    return (negative ? "-" : "") + head + tail + "e" + (e < 0 ? "-" : "+") + String(abs(e))
  }
}
