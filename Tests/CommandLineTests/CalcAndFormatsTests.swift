import Foundation
import Testing

/// The `precisionlab` executable as users run it: output, and exit status 64 (usage) or 65 (data)
/// with one line naming the problem.
@Suite struct CommandLineTests {
  struct Run {
    var status: Int32
    var output: String
    var error: String
  }

  static var executable: URL {
    // The test bundle sits in the build folder beside the executables.
    let built = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("precisionlab")
    if FileManager.default.fileExists(atPath: built.path) { return built }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent(".build/debug/precisionlab")  // Tests/CommandLineTests/…
  }

  /// Runs the executable to its end; `directory` is its working directory (default: the tests').
  static func run(_ arguments: [String], input: String = "", environment: [String: String] = [:], directory: String? = nil) throws -> Run {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let stdout = Pipe(), stderr = Pipe(), stdin = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    process.standardInput = stdin
    try process.run()
    stdin.fileHandleForWriting.write(input.data(using: .utf8)!)
    try stdin.fileHandleForWriting.close()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    let err = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(
      status: process.terminationStatus, output: String(decoding: out, as: UTF8.self),
      error: String(decoding: err, as: UTF8.self))
  }

  @Test func calcPrintsHexAndShortestDecimal() throws {
    let r = try Self.run(["calc", "--format", "bf16", "--rounding", "toward-negative", "add", "1", "-0x1p-126"])
    #expect(r.status == 0)
    #expect(r.output == "0x1.fep-1  9.96e-1\n")  // 0.99609375, not 1
    let q = try Self.run(["calc", "--format", "mpfr:200", "div", "1", "3"])
    // 199 fraction bits: 49 nibbles 0101, then 010 rounded up to 011 and padded: 6.
    #expect(q.output.hasPrefix("0x1." + String(repeating: "5", count: 49) + "6p-2  3.33333"))
    let s = try Self.run(["calc", "--format", "e4m3", "--rounding", "stochastic", "--rounding-seed", "7", "round", "10.5"])
    let s2 = try Self.run(["calc", "--format", "e4m3", "--rounding", "stochastic", "--seed", "7", "round", "10.5"])
    #expect(s2.error.contains("--seed is deprecated") && s2.error.split(separator: "\n").count == 1, "\(s2.error)")
    #expect(s.output == s2.output && (s.output.hasPrefix("0x1.4p+3") || s.output.hasPrefix("0x1.6p+3")))
  }

  @Test func batchReadsOneOperationPerLine() throws {
    let input = "add 1 2\n# comment\n\nmul 0.1 0.1\nsqrt 2\nfma 1 2 3\nround 1e40\n"
    let r = try Self.run(["calc", "--batch", "--format", "fp32"], input: input)
    #expect(r.status == 0)
    #expect(r.output == "0x1.8p+1\n0x1.47ae16p-7\n0x1.6a09e6p+0\n0x1.4p+2\ninf\n")
  }

  @Test func usageErrorsExit64WithOneClearLine() throws {
    let cases: [([String], String)] = [
      (["calc", "--format", "fp99", "add", "1", "2"], "unknown format 'fp99'"),
      (["calc", "--format", "mpfr:1", "add", "1", "2"], "below the minimum of 2 bits"),
      (["calc", "--format", "mpfr:2000000", "add", "1", "2"], "above the limit"),
      (["calc", "--format", "fp16", "--rounding", "sideways", "add", "1", "2"], "unknown rounding mode 'sideways'; valid: nearest-even,"),
      (["calc", "--format", "fp16", "--batch", "add"], "--batch reads operations from standard input"),
      (["frobnicate"], "frobnicate"),
      (["calc", "--format", "fp16", "pow", "1", "2"], "unknown operation 'pow'"),
      (["calc", "--format", "fp16", "add", "1"], "add takes 2 operands, got 1"),
    ]
    for (arguments, message) in cases {
      let r = try Self.run(arguments)
      #expect(r.status == 64, "\(arguments)")
      let lines = r.error.split(separator: "\n")
      #expect(lines.count == 1 && lines[0].hasPrefix("precisionlab: ") && lines[0].contains(message), "\(arguments): \(r.error)")
    }
  }

  @Test func dataErrorsExit65() throws {
    let r = try Self.run(["calc", "--format", "fp16", "add", "1", "1.2.3"])
    #expect(r.status == 65)
    #expect(r.error == "precisionlab: '1.2.3' is not a number (expected decimal like -1.25e-3, C99 hex like 0x1.4p-2, inf or nan)\n")
    let b = try Self.run(["calc", "--batch", "--format", "fp16"], input: "add 1 2\nadd 1 x\n")
    #expect(b.status == 65)
    #expect(b.output == "0x1.8p+1\n")
    #expect(b.error.hasPrefix("precisionlab: line 2: 'x' is not a number"))
  }

  @Test func formatsTableAndCSV() throws {
    let t = try Self.run(["formats"])
    #expect(t.status == 0)
    #expect(t.output.contains("e4m3 ") && t.output.contains("4.48000e+02"))
    let c = try Self.run(["formats", "--csv", "--extra", "mpfr:200", "ieee:12:15"])
    let lines = c.output.split(separator: "\n")
    #expect(lines.first?.hasPrefix("name,precision,emin,emax,subnormals,infinities,nan,overflow,engine,largest_finite,largest_finite_hex") == true)
    #expect(lines.count == 1 + 14 + 2)
    #expect(lines.contains { $0.hasPrefix("binary16,11,-14,15,true,true,ieee,infinity,double,6.5504000000000000e+04,0x1.ffcp+15") })
  }
}
