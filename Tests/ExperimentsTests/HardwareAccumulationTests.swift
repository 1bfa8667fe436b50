import Experiments
import Networks
import Scalars
import Tensors
import Testing

/// `--accumulate auto` (the default) is what hardware does: binary32 sums for formats narrower than
/// binary32, the format itself otherwise; results name the accumulation, never `auto`.
@Suite struct HardwareAccumulationTests {
  static func accumulation(_ format: String, _ accumulate: [String]? = nil) throws -> Trial {
    var values: [String: [String]] = ["format": [format]]
    if let accumulate { values["accumulate"] = accumulate }
    return try Grid(.bifurcation, values: values, runs: 1, seeds: [0]).trials()[0]
  }

  @Test(arguments: [
    ("fp16", "binary32"), ("bf16", "binary32"), ("tf32", "binary32"), ("e4m3", "binary32"), ("e5m2", "binary32"),
    ("fp32", "same"), ("fp64", "same"), ("fp80", "same"), ("binary128", "same"), ("mpfr:100", "same"),
  ])
  func defaultAccumulationPerFormat(_ format: String, _ expected: String) throws {
    #expect(try Self.accumulation(format)["accumulate"] == expected)
  }

  @Test func narrowFormatsWithAWideExponentAccumulateInBinary64() throws {
    // 16 significand bits with binary64's exponent range do not fit binary32.
    let wide = try FloatFormat(name: "p16e11", precision: 16, emin: -1022, emax: 1023)
    #expect(AccumulationChoice.hardware(storage: wide) == .binary64)
    let narrow = try FloatFormat(name: "p16e8", precision: 16, emin: -126, emax: 127)
    #expect(AccumulationChoice.hardware(storage: narrow) == .binary32)
  }

  @Test func theDefaultIsTheExplicitBinary32Trial() throws {
    let byDefault = try Self.accumulation("fp16")
    let explicit = try Self.accumulation("fp16", ["fp32"])
    #expect(byDefault.key == explicit.key && byDefault.seed == explicit.seed && byDefault.values == explicit.values)
    let same = try Self.accumulation("fp16", ["same"])
    #expect(same["accumulate"] == "same" && same.key != byDefault.key)
    // A list naming the default twice is one cell.
    #expect(try Grid(.bifurcation, values: ["format": ["fp16"], "accumulate": ["auto", "fp32", "same"]], runs: 1, seeds: [0]).count == 2)
  }

  /// Batch norm computes in the accumulation format only where that is a choice: with batch norm and an
  /// accumulation wider than storage. Elsewhere the value resolves to `storage` (the legacy value, left
  /// out of trial keys), so results computed before the option keep their keys.
  @Test func batchNormArithmeticResolvesWhereItIsNoChoice() throws {
    func trial(_ format: String, batchNorm: Bool, accumulate: String = "auto") throws -> Trial {
      try Grid(.bifurcation, values: ["model": ["vgg"], "format": [format], "batch-norm": [batchNorm ? "true" : "false"], "accumulate": [accumulate]],
               runs: 1, seeds: [0]).trials()[0]
    }
    #expect(try trial("fp16", batchNorm: true)["batch-norm-arithmetic"] == "accumulation")
    #expect(try trial("bf16", batchNorm: true)["batch-norm-arithmetic"] == "accumulation")
    #expect(try trial("fp16", batchNorm: true, accumulate: "same")["batch-norm-arithmetic"] == "storage")
    #expect(try trial("fp16", batchNorm: false)["batch-norm-arithmetic"] == "storage")
    #expect(try trial("fp32", batchNorm: true)["batch-norm-arithmetic"] == "storage")
    let legacy = try Grid(.bifurcation, values: ["model": ["vgg"], "format": ["fp16"], "batch-norm": ["true"], "batch-norm-arithmetic": ["storage"]],
                          runs: 1, seeds: [0]).trials()[0]
    #expect(try trial("fp16", batchNorm: true).key != legacy.key)
    #expect(try trial("fp32", batchNorm: true).key
      == Grid(.bifurcation, values: ["model": ["vgg"], "format": ["fp32"], "batch-norm": ["true"], "batch-norm-arithmetic": ["storage"]], runs: 1, seeds: [0]).trials()[0].key)
  }

  @Test func badAccumulationIsOneLine() {
    do {
      _ = try Grid(.bifurcation, values: ["accumulate": ["fp128"]], runs: 1, seeds: [0])
      Issue.record("--accumulate fp128 was accepted")
    } catch {
      #expect(error.description.hasPrefix("--accumulate: unknown value 'fp128'; valid: auto, same, fp32, fp64"))
    }
  }
}
