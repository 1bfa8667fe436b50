import ArgumentParser
import Scalars

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `precisionlab calc`: one correctly rounded operation, or many from standard input with `--batch`.
struct CalcCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "calc",
    abstract: "Apply one correctly rounded operation in a format and rounding mode.",
    discussion: """
      OP is one of add, sub, mul, div, sqrt, fma (a*b+c, one rounding), round (convert A), exp, log
      (correctly rounded too). Operands are
      decimal (-1.25e-3) or C99 hex (0x1.4p-2) text, or inf/nan; each is first rounded into the format.
      Prints the result as exact hex and as the shortest decimal that reads back to it.
      With --batch, reads one 'OP A [B [C]]' per line from standard input and prints one hex result
      per line.
      """)

  @OptionGroup var options: FormatOptions

  @Flag(name: .long, help: "Read 'OP A [B [C]]' lines from standard input; print one hex result per line.")
  var batch = false

  @Argument(parsing: .allUnrecognized, help: "OP A [B [C]]")
  var words: [String] = []

  func validate() throws {
    if batch {
      guard words.isEmpty else { throw ValidationError("--batch reads operations from standard input; give no OP") }
      return
    }
    guard let first = words.first else {
      throw ValidationError("missing OP; valid: \(validOperations)")
    }
    guard let operation = FormatCalculator.Operation(rawValue: first) else {
      throw ValidationError("unknown operation '\(first)'; valid: \(validOperations)")
    }
    guard words.count - 1 == operation.arity else {
      throw ValidationError("\(first) takes \(operation.arity) operand\(operation.arity == 1 ? "" : "s"), got \(words.count - 1)")
    }
  }

  func run() throws {
    options.installEnvironment()
    let calculator = FormatCalculator(format: options.floatFormat)
    if batch {
      try runBatch(calculator)
      return
    }
    let operation = FormatCalculator.Operation(rawValue: words[0])!
    var operands: [FormatCalculator.Value] = []
    for text in words.dropFirst() {
      do {
        operands.append(try calculator.read(text))
      } catch {
        throw failWithDataError(error.description)
      }
    }
    let result = calculator.apply(operation, operands)
    print("\(calculator.hex(result))  \(calculator.shortestDecimal(result))")
  }

  func runBatch(_ calculator: FormatCalculator) throws {
    var output = ""
    output.reserveCapacity(1 << 16)
    var lineNumber = 0
    while let line = readLine(strippingNewline: true) {
      lineNumber += 1
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      if fields.isEmpty || fields[0].hasPrefix("#") { continue }
      guard let operation = FormatCalculator.Operation(rawValue: String(fields[0])) else {
        flush(&output)
        throw failWithDataError("line \(lineNumber): unknown operation '\(fields[0])'; valid: \(validOperations)")
      }
      guard fields.count - 1 == operation.arity else {
        flush(&output)
        throw failWithDataError(
          "line \(lineNumber): \(operation) takes \(operation.arity) operand(s), got \(fields.count - 1)")
      }
      var operands: [FormatCalculator.Value] = []
      operands.reserveCapacity(3)
      for field in fields.dropFirst() {
        do {
          operands.append(try calculator.read(String(field)))
        } catch {
          flush(&output)
          throw failWithDataError("line \(lineNumber): \(error.description)")
        }
      }
      output += calculator.hex(calculator.apply(operation, operands))
      output += "\n"
      if output.utf8.count >= 1 << 16 { flush(&output) }
    }
    flush(&output)
  }

  func flush(_ output: inout String) {
    writeAll(output, to: 1)
    output.removeAll(keepingCapacity: true)
  }

  var validOperations: String {
    FormatCalculator.Operation.allCases.map(\.rawValue).joined(separator: ", ")
  }
}
