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
      OP is one of add, sub, mul, div, sqrt, fma (a*b+c, one rounding), round (convert A), exp, \
      log. Operands are decimal (-1.25e-3) or C99 hex (0x1.4p-2) text, or inf/nan; each is first \
      rounded into the format, then the operation is rounded once. Prints the result as exact hex \
      and as the shortest decimal that reads back to it. With --batch, reads one 'OP A [B [C]]' per \
      line from standard input and prints one hex result per line.
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

  /// Streams standard input line by line as bytes (no Swift strings for operands), so a million
  /// lines take seconds.
  func runBatch(_ calculator: FormatCalculator) throws {
    var output: [UInt8] = []
    output.reserveCapacity(1 << 16)
    var line: [UInt8] = []
    line.reserveCapacity(256)
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var lineNumber = 0
    // A failed write (a full disk, a closed pipe) ends the run with one line, never a cut output.
    func flush() throws {
      let written = output.withUnsafeBufferPointer { writeAll($0, to: 1) }
      guard written else { throw failWithIOError("standard output: a write failed (\(String(cString: strerror(errno))))") }
      output.removeAll(keepingCapacity: true)
    }
    func finishLine() throws {
      lineNumber += 1
      do {
        if let hex = try evaluate(&line, calculator) {
          output.append(contentsOf: hex.utf8)
          output.append(0x0A)
        }
      } catch let error as BatchLineError {
        try flush()
        throw failWithDataError("line \(lineNumber): \(error.message)")
      }
      line.removeAll(keepingCapacity: true)
      if output.count >= 1 << 16 { try flush() }
    }
    while true {
      let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n < 0 { throw failWithIOError("standard input: a read failed (\(String(cString: strerror(errno))))") }
      guard n > 0 else { break }
      for i in 0..<n {
        if chunk[i] == 0x0A { try finishLine() } else { line.append(chunk[i]) }
      }
    }
    if !line.isEmpty { try finishLine() }
    try flush()
  }

  struct BatchLineError: Error { let message: String }

  /// The hex result of one `OP A [B [C]]` line, or nil for a blank or comment line. Fields are
  /// NUL-terminated in place and handed to the parser as C strings.
  func evaluate(_ line: inout [UInt8], _ calculator: FormatCalculator) throws -> String? {
    if line.last == 0x0D { line.removeLast() }
    line.append(0)
    return try line.withUnsafeMutableBufferPointer { bytes throws -> String? in
      var fields: [(start: Int, count: Int)] = []
      var i = 0
      while i < bytes.count - 1 {
        while i < bytes.count - 1 && (bytes[i] == 0x20 || bytes[i] == 0x09) { bytes[i] = 0; i += 1 }
        let start = i
        while i < bytes.count - 1 && bytes[i] != 0x20 && bytes[i] != 0x09 { i += 1 }
        if i > start { fields.append((start, i - start)) }
      }
      guard let first = fields.first, bytes[first.start] != 0x23 else { return nil }  // blank or "#"
      for field in fields { bytes[field.start + field.count] = 0 }
      let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
      let name = String(decoding: UnsafeBufferPointer(rebasing: bytes[first.start..<(first.start + first.count)]), as: UTF8.self)
      guard let operation = FormatCalculator.Operation(rawValue: name) else {
        throw BatchLineError(message: "unknown operation '\(name)'; valid: \(validOperations)")
      }
      guard fields.count - 1 == operation.arity else {
        throw BatchLineError(message: "\(operation) takes \(operation.arity) operand(s), got \(fields.count - 1)")
      }
      var operands: [FormatCalculator.Value] = []
      operands.reserveCapacity(3)
      for field in fields.dropFirst() {
        do {
          operands.append(try calculator.read(base + field.start, count: field.count))
        } catch {
          throw BatchLineError(message: "\(error)")
        }
      }
      return calculator.hex(calculator.apply(operation, operands))
    }
  }

  var validOperations: String {
    FormatCalculator.Operation.allCases.map(\.rawValue).joined(separator: ", ")
  }
}
