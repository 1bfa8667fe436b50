import Foundation
import Testing

/// Each input that once trapped, hung or overwrote something (issue 17): now one line on standard
/// error naming the problem, exit status 64 (usage) or 65 (data), within seconds, nothing damaged.
@Suite struct BadInputTests {
  static func file(_ dir: String, _ name: String, _ text: String) -> String {
    let path = dir + "/" + name
    FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    return path
  }

  /// Runs `arguments` and checks the exit status and that standard error is exactly one line holding `message`.
  static func refuses(_ arguments: [String], _ status: Int32, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let r = try CommandLineTests.run(arguments)
    #expect(r.status == status, "\(arguments): \(r.error)", sourceLocation: sourceLocation)
    let lines = r.error.split(separator: "\n").filter { !$0.lowercased().contains("using synthetic data") }
    #expect(lines.count == 1 && lines[0].hasPrefix("precisionlab: ") && lines[0].contains(message), "\(arguments): \(r.error)", sourceLocation: sourceLocation)
  }

  /// A CSV named as an experiment's results but cut down to a few columns: summarize and merge name
  /// what is missing (they force-unwrapped the column lookups).
  @Test func resultsWithoutTheExpectedColumns() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let cut = Self.file(dir, "cut.csv", "experiment,grid,trial\nbifurcation,g1,t1\nbifurcation,g1,t2\n")
    try Self.refuses(["summarize", cut], 65, "not a complete bifurcation results file: no columns 'error', 'in_s'")
    try Self.refuses(["merge", cut, "-o", dir + "/all.csv"], 65, "not a complete results file (no 'trial_index' column)")
    // A row with another number of fields than the header is named, not silently dropped.
    let ragged = Self.file(dir, "ragged.csv", "experiment,grid,trial\nbifurcation,g1\n")
    try Self.refuses(["summarize", ragged], 65, "row 1 has 2 fields, the header 3")
    // Counts that add up past Int.max are an error, not a trap.
    let header = "experiment,trial,error,epoch,diverged,test_accuracy,zeros_total,activation_inputs,format"
    let text = header + "\n" + (1...2).map { "train,t\($0),,1,0,0.5,9223372036854775807,1,fp32" }.joined(separator: "\n") + "\n"
    let huge = Self.file(dir, "huge.csv", text)
    try Self.refuses(["summarize", huge, "--by", "format"], 65, "column 'zeros_total': the counts add up past")
  }

  /// `plot` of values all equal and ≤ −16384 looped forever choosing ticks; an infinite ci_high
  /// drew NaN coordinates. Both now draw, in well under a second.
  @Test func plotOfDegenerateValues() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let flat = Self.file(dir, "flat.csv", "format,ratio,ci_low,ci_high\nfp32,-20000,-20000,inf\nfp16,-20000,-20000,-20000\n")
    let started = Date()
    let r = try CommandLineTests.run(["plot", flat, "--x", "format", "--y", "ratio", "-o", dir + "/flat.svg"])
    #expect(r.status == 0, "\(r.error)")
    #expect(Date().timeIntervalSince(started) < 20)
    let svg = try String(contentsOfFile: dir + "/flat.svg", encoding: .utf8)
    #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
    #expect(!svg.contains("nan") && !svg.contains("inf"))
    #expect(svg.contains(">-20000<") && svg.contains(">0<"))  // the axis runs from the values to 0
    // Values whose span overflows a double cannot be drawn to scale: said, not drawn wrong.
    let wide = Self.file(dir, "wide.csv", "format,ratio\nfp32,1e308\nfp16,-1e308\n")
    try Self.refuses(["plot", wide, "--x", "format", "--y", "ratio", "-o", dir + "/wide.svg"], 65, "spans more than the largest double")
  }

  /// The plot options of ordered axes: each bad value or combination is one line.
  @Test func plotAxisOptions() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let table = Self.file(dir, "t.csv", "widths,format,ratio\n784,16,10,binary32,0.5\n".replacingOccurrences(of: "784,16,10", with: "\"784,16,10\""))
    try Self.refuses(["plot", table, "--x", "widths", "--y", "ratio", "--x-as", "depthh", "-o", dir + "/a.svg"], 64, "--x-as: unknown value 'depthh'; valid: value, depth, width, precision")
    try Self.refuses(["plot", table, "--x", "widths", "--y", "ratio", "--log-y", "-o", dir + "/a.svg"], 64, "--log-x and --log-y need --kind line or points")
    try Self.refuses(["plot", table, "--x", "widths", "--y", "ratio", "--bands", "--kind", "points", "-o", dir + "/a.svg"], 64, "--bands needs --kind line")
    try Self.refuses(["plot", table, "--x", "widths", "--y", "ratio", "--kind", "dots", "-o", dir + "/a.svg"], 64, "--kind: unknown value 'dots'; valid: bar, line, points")
    try Self.refuses(["plot", table, "--x", "widths", "--y", "ratio", "--x-as", "precision", "--kind", "line", "-o", dir + "/a.svg"], 65, "--x-as precision: cannot read it from widths value '784,16,10'")
    try Self.refuses(["plot", table, "--x", "format", "--y", "ratio", "--kind", "line", "--log-x", "-o", dir + "/a.svg"], 65, "x value 'binary32' is not a number")
    try Self.refuses(["summarize", table, "--view", "k"], 64, "--view: unknown value 'k'; valid: volume, first-difference")
    try Self.refuses(["plot", table, "--cumulative", "--x", "widths", "-o", dir + "/a.svg"], 64, "--cumulative draws the share against k itself: no --x or --y")
    try Self.refuses(["plot", table, "--y", "ratio", "-o", dir + "/a.svg"], 64, "--x and --y are needed")
    try Self.refuses(["plot", table, "--cumulative", "--kind", "line", "-o", dir + "/a.svg"], 65, "--cumulative needs bifurcation results")
    try Self.refuses(["plot", table, "--x", "widths", "--y", "ratio", "--mark-first", "zeros", "-o", dir + "/a.svg"], 65, "--mark-first: no column 'zeros'")
    try Self.refuses(["plot", table, "--x", "widths", "--y", "ratio", "--where", "final", "-o", dir + "/a.svg"], 64, "--where: 'final' is not COLUMN=VALUE")
    try Self.refuses(["plot", table, "--x", "widths", "--y", "ratio", "--where", "=1", "-o", dir + "/a.svg"], 64, "--where: '=1' is not COLUMN=VALUE")
    try Self.refuses(["plot", table, "--x", "widths", "--y", "ratio", "--where", "final=1", "-o", dir + "/a.svg"], 65, "--where: no column 'final'")
    try Self.refuses(["plot", table, "--x", "widths", "--y", "ratio", "--where", "format=binary16", "-o", dir + "/a.svg"], 65, "--where format=binary16: no row left to plot")
    let r = try CommandLineTests.run(["plot", table, "--x", "widths", "--y", "ratio", "--x-as", "depth", "--kind", "line", "-o", dir + "/a.svg"])
    #expect(r.status == 0, "\(r.error)")
    let svg = try String(contentsOfFile: dir + "/a.svg", encoding: .utf8)
    #expect(svg.contains("ReLU layers L"))
    // --where keeps the rows it names: one run's two evaluations, only the last plotted.
    let runs = Self.file(dir, "runs.csv", "relu0,final,test_accuracy\n0,0,0.61\n0,1,0.83\n2,1,0.79\n")
    let w = try CommandLineTests.run(["plot", runs, "--raw", "--x", "relu0", "--y", "test_accuracy", "--kind", "points", "--where", "final=1", "-o", dir + "/w.svg"])
    #expect(w.status == 0, "\(w.error)")
    let points = try String(contentsOfFile: dir + "/w.svg", encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("<circle") }
    #expect(points.count == 2 && !points.contains { $0.contains("0.61") })
  }

  /// Options whose arithmetic overflowed or reached a precondition.
  @Test func optionsOutOfRange() throws {
    try Self.refuses(["grad", "--data", "synthetic", "--batch-size", "9223372036854775807"], 64, "--batch-size: expected all or an integer from 1 to")
    try Self.refuses(["grad", "--model", "vgg", "--data", "synthetic", "--width-multiplier", "inf"], 64, "--width-multiplier: expected a number in (0, 64]")
    // Models that cannot fit in memory are refused with the estimate, not left to fail allocating.
    try Self.refuses(["grad", "--data", "synthetic", "--widths", "784,16777216,10", "--batch-size", "2"], 65, "parameters and 33554442 activations per sample need about")
    try Self.refuses(["bifurcation", "--data", "synthetic", "--model", "vgg", "--width-multiplier", "64", "--runs", "1"], 64, "--model vgg with --batch-size 256: ")
    try Self.refuses(["grad", "--data", "synthetic", "--model", "vgg", "--input-shape", "3,65536,65536"], 64, "at most 1048576 values")
    try Self.refuses(["bifurcation", "--data", "synthetic", "--model", "resnet", "--conv-init", "kaiming", "--runs", "1"], 64, "--conv-init: unknown value 'kaiming'; valid: model, pytorch")
    try Self.refuses(["bifurcation", "--data", "synthetic", "--model", "resnet", "--init", "torch", "--runs", "1"], 64, "--init torch reproduces PyTorch's uniform initialisations, not ResNet's kaiming_normal convolutions: add --conv-init pytorch")
    try Self.refuses(["grad", "--data", "synthetic", "--init", "numpy"], 64, "--init: unknown value 'numpy'; valid: precisionlab, torch")
    try Self.refuses(["grad", "--data", "synthetic", "--bias-order", "middle"], 64, "--bias-order: unknown value 'middle'; valid: last, first")
    try Self.refuses(["bifurcation", "--data", "synthetic", "--bias-order", "first", "--summation", "blas", "--runs", "1"], 64,
      "--bias-order first: not with --summation blas (the library adds the bias as it does)")
    // Summation orders and a library's trees (issue 31).
    for order in ["split:0", "lanes:3", "lanes:128", "blocked:x", "tc:8", "tc:0:24", "tc:8:47", "tc:8:25:rd", "tc:b200", "kahan:2"] {
      try Self.refuses(["grad", "--data", "synthetic", "--summation", order], 64, "--summation: unknown order '\(order)'")
    }
    try Self.refuses(["grad", "--data", "synthetic", "--summation", "tree:/nonexistent.json"], 64, "--summation tree:/nonexistent.json: cannot read the file")
    let trees = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("experiments/arithmetic/pytorch-cpu-amd-epyc-avx2-1thread.json").path
    try Self.refuses(["grad", "--data", "synthetic", "--summation", "tree:\(trees)"], 64, "needs a fixed --batch-size N")
    try Self.refuses(["bifurcation", "--data", "synthetic", "--summation", "tree:\(trees)", "--fused", "--runs", "1"], 64, "--fused: not with --summation tree:FILE")
    try Self.refuses(["bifurcation", "--data", "synthetic", "--summation", "tree:\(trees)", "--batch-size", "64", "--runs", "1"], 64,
                     "no tree for the forward m=64 n=256 k=784 product")
    // Tensor-core models need binary32 accumulation and are fused already; compensated sums are never fused.
    try Self.refuses(["grad", "--data", "synthetic", "--format", "binary16", "--accumulate", "same", "--summation", "tc:a100"], 64,
                     "--summation tc:8:25:rz: tensor cores accumulate in binary32; binary16 accumulates in binary16")
    try Self.refuses(["grad", "--data", "synthetic", "--format", "binary64", "--summation", "tc:v100"], 64, "tensor cores accumulate in binary32")
    try Self.refuses(["grad", "--data", "synthetic", "--format", "binary16", "--summation", "tc:a100", "--fused"], 64,
                     "--fused: not with --summation tc:8:25:rz")
    try Self.refuses(["grad", "--data", "synthetic", "--summation", "kahan", "--fused"], 64, "--fused: not with --summation kahan")
    try Self.refuses(["bifurcation", "--data", "synthetic", "--zero-operations", "maybe", "--runs", "1"], 64, "--zero-operations")
    // Loss scaling (issue 34): numbers everywhere, the dynamic rule only where steps are taken.
    try Self.refuses(["bifurcation", "--data", "synthetic", "--loss-scale", "dynamic", "--runs", "1"], 64,
                     "--loss-scale dynamic: a dynamic scale changes between optimiser steps, and this experiment takes none")
    for bad in ["0", "-1", "inf", "lots", "dynamic:1024:1:0.5:10"] {
      try Self.refuses(["grad", "--data", "synthetic", "--loss-scale", bad], 64, "--loss-scale: ")
      try Self.refuses(["train", "--data", "synthetic", "--loss-scale", bad, "--runs", "1"], 64, "--loss-scale: ")
    }
    // MX operands (issue 34): known element formats, binary32/64 storage.
    for bad in ["mxfp8", "fp8-e4m3", "mxfp4:0", "mxfp4:ties"] {
      try Self.refuses(["grad", "--data", "synthetic", "--mx", bad], 64, "--mx: unknown value '\(bad)'")
    }
    try Self.refuses(["grad", "--data", "synthetic", "--format", "binary16", "--mx", "mxfp8-e4m3"], 64,
                     "--mx mxfp8-e4m3: MX operands are formed from binary32 or binary64 values")
    // Precision policies (issue 34): known presets and overrides, binary32 storage and accumulation, round to
    // nearest, not with the options they set themselves or the zero classifiers.
    for bad in ["autocast", "lower:nonsense", "autocast-cuda-fp16:ends", "fp8-training:norm-fp32:norm-fp32"] {
      try Self.refuses(["grad", "--data", "synthetic", "--policy", bad], 64, "--policy: unknown policy '\(bad)'")
    }
    try Self.refuses(["grad", "--data", "synthetic", "--format", "binary16", "--policy", "autocast-cuda-fp16"], 64,
                     "--policy autocast-cuda-fp16: policies run on binary32 master weights and accumulation (--format binary32), not binary16")
    try Self.refuses(["grad", "--data", "synthetic", "--accumulate", "fp64", "--policy", "autocast-cuda-bf16"], 64,
                     "--policy autocast-cuda-bf16: products accumulate in binary32 (not --accumulate binary64)")
    try Self.refuses(["grad", "--data", "synthetic", "--rounding", "toward-zero", "--policy", "autocast-cuda-bf16"], 64,
                     "--policy autocast-cuda-bf16: autocast rounds to nearest even (not --rounding toward-zero)")
    try Self.refuses(["grad", "--data", "synthetic", "--operands", "tf32", "--policy", "fp8-training"], 64, "--operands tf32: not with --policy")
    try Self.refuses(["grad", "--data", "synthetic", "--mx", "mxfp4", "--policy", "fp8-training"], 64, "--mx mxfp4: not with --policy")
    try Self.refuses(["bifurcation", "--data", "synthetic", "--root-cause", "--policy", "autocast-cuda-fp16", "--runs", "1"], 64,
                     "--root-cause: not with --policy")
    try Self.refuses(["grad", "--data", "synthetic", "--policy", "lower:binary64"], 64, "--policy lower:binary64: binary64 (53 bits) is not narrower than binary32 (24 bits)")
    try Self.refuses(["arithmetic", "reveal", "--python", "/nonexistent"], 64, "--python /nonexistent: not an executable file")
    // The preset where no trees of this CPU are stored (an empty data folder, run outside the repository).
    let empty = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: empty) }
    let preset = try CommandLineTests.run(
      ["bifurcation", "--data", "synthetic", "--summation", "pytorch-cpu", "--runs", "1"], environment: ["PRECISIONLAB_DATA": empty], directory: empty)
    #expect(preset.status == 64 && preset.error.split(separator: "\n").count == 1, "\(preset.error)")
    #expect(preset.error.contains("--summation pytorch-cpu: no PyTorch-CPU trees for this CPU") && preset.error.contains("precisionlab arithmetic reveal"), "\(preset.error)")
    try Self.refuses(["bifurcation", "--data", "synthetic", "--model", "vgg", "--pad", "-1", "--runs", "1"], 64, "--pad: expected an integer from 0 to 64, got '-1'")
    try Self.refuses(["bifurcation", "--data", "synthetic", "--pad", "2", "--runs", "1"], 64, "the MLP's input size 784 does not match samples of shape [1, 32, 32]")
    try Self.refuses(["bifurcation", "--data", "synthetic", "--train-size", "-5", "--runs", "1"], 64, "--train-size: expected an integer ≥ 0, got '-5'")
    try Self.refuses(["train", "--data", "synthetic", "--evaluate-every", "0", "--runs", "1"], 64, "--evaluate-every: expected an integer ≥ 1, got '0'")
    try Self.refuses(["grad", "--data", "synthetic", "--operands", "tf33"], 64, "--operands: unknown format 'tf33'")
    try Self.refuses(["grad", "--data", "synthetic", "--batch-norm-arithmetic", "half"], 64, "--batch-norm-arithmetic: unknown value 'half'; valid: accumulation, storage")
    try Self.refuses(["grad", "--data", "synthetic", "--format", "binary16", "--operands", "tf32"], 64,
                     "--operands tf32: tf32 (11 bits) is not narrower than the storage format binary16 (11 bits)")
    try Self.refuses(["bifurcation", "--data", "synthetic", "--operand-rounding", "nearest-away", "--runs", "1"], 64,
                     "--operand-rounding nearest-away needs --operands FORMAT")
    try Self.refuses(["grad", "--data", "synthetic", "--operands", "tf32", "--operand-rounding", "stochastic"], 64, "--operand-rounding: unknown mode 'stochastic'")
    try Self.refuses(["bifurcation", "--data", "synthetic", "--model", "vgg", "--normalize", "fashion-mnist", "--runs", "1"], 64,
                     "--normalize fashion-mnist is for 1-channel images, not samples of shape [3, 32, 32]")
    // A grid is enumerated and checked before it runs: a huge one is refused at once, not built.
    try Self.refuses(["bifurcation", "--data", "synthetic", "--runs", "100000000000"], 64, "--runs 100000000000 with 1 seed and 1 combination makes more than 1000000 trials")
    try Self.refuses(["train", "--data", "synthetic", "--optimizer", "innaprop", "--lr", "1", "--runs", "1"], 64,
                     "--optimizer innaprop with --lr 1: INNAprop needs a learning rate below its beta 0.9, got 1")
  }

  /// Safetensors inputs whose labels are out of range, or whose shape overflows when multiplied out,
  /// and a batch index whose first row overflows.
  @Test func safetensorsInputsOutOfRange() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    func safetensors(_ name: String, _ header: String, _ body: [UInt8]) -> String {
      var bytes = Array(header.utf8)
      while bytes.count % 8 != 0 { bytes.append(0x20) }
      let path = dir + "/" + name
      let length = withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { Array($0) }
      FileManager.default.createFile(atPath: path, contents: Data(length + bytes + body))
      return path
    }
    let inputs = [Float](repeating: 1, count: 4).flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
    func labels(_ values: [Int64]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.littleEndian) { Array($0) } } }
    let header = { (shape: String, labelsEnd: Int) in
      "{\"inputs\":{\"dtype\":\"F32\",\"shape\":\(shape),\"data_offsets\":[0,16]},\"labels\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[16,\(labelsEnd)]}}"
    }
    let five = safetensors("five.safetensors", header("[2,2]", 32), inputs + labels([5, 0]))
    try Self.refuses(["grad", "--inputs", five, "--widths", "2,3,2"], 65, "label 5 is outside the model's 2 classes")
    let negative = safetensors("negative.safetensors", header("[2,2]", 32), inputs + labels([-1, 0]))
    try Self.refuses(["grad", "--inputs", negative, "--widths", "2,3,2"], 65, "label -1 is outside the model's 2 classes")
    let overflow = safetensors("overflow.safetensors", header("[4294967296,4294967296,4]", 32), inputs + labels([1, 0]))
    try Self.refuses(["grad", "--inputs", overflow, "--widths", "2,3,2"], 65, "has shape [4294967296, 4294967296, 4], too large to hold in memory")
    let good = safetensors("good.safetensors", header("[2,2]", 32), inputs + labels([1, 0]))
    try Self.refuses(["grad", "--inputs", good, "--widths", "2,3,2", "--batch-size", "1", "--batch-index", "9223372036854775807"], 65,
                     "batch 9223372036854775807 of size 1 is outside its 2 rows")
  }

  /// An IDX file whose header announces dimensions whose product overflows.
  @Test func idxWithAbsurdDimensions() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.createDirectory(atPath: dir + "/mnist", withIntermediateDirectories: true)
    let absurd: [UInt8] = [0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12) + [1, 2, 3]
    FileManager.default.createFile(atPath: dir + "/mnist/train-images-idx3-ubyte.gz", contents: Data(gzippedForTests(absurd)))
    FileManager.default.createFile(atPath: dir + "/mnist/train-labels-idx1-ubyte.gz", contents: Data(gzippedForTests([0, 0, 8, 1, 0, 0, 0, 1, 7])))
    try Self.refuses(["grad", "--data", "mnist", "--data-dir", dir, "--batch-size", "1"], 65, "IDX header announces 4294967295x4294967295x4294967295 bytes of data, more than any file holds")
  }

  /// A Slurm results folder whose manifest was edited to 0 shards (the status loop trapped on 1...0).
  @Test func slurmManifestWithNoShards() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let folder = dir + "/results"
    // The folder is written before sbatch is looked for (and found missing here).
    let submitted = try CommandLineTests.run(["slurm", "submit", "bifurcation", "--array", "2", "--results", folder] + SlurmCommandTests.sweep, environment: ["PATH": "/nonexistent"])
    #expect(submitted.status == 69, "\(submitted.error)")
    let manifest = folder + "/slurm.json"
    let text = try String(contentsOfFile: manifest, encoding: .utf8)
    #expect(text.contains("\"shards\" : 2"))
    try text.replacingOccurrences(of: "\"shards\" : 2", with: "\"shards\" : 0").write(toFile: manifest, atomically: true, encoding: .utf8)
    try Self.refuses(["slurm", "status", folder], 65, "shards 0 for 6 trials; a manifest needs 1 ≤ shards ≤ trials")
    try text.replacingOccurrences(of: "\"shards\" : 2", with: "\"shards\" : 9223372036854775807").write(toFile: manifest, atomically: true, encoding: .utf8)
    try Self.refuses(["slurm", "status", folder], 65, "shards 9223372036854775807 for 6 trials")
  }

  /// An output that names an input (or another output) is refused before anything runs or is written.
  @Test func outputsNeverOverwriteInputs() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let results = dir + "/r.csv"
    try Self.refuses(["bifurcation", "--data", "synthetic", "--runs", "1", "--out", results, "--table", results], 64, "--out and --table name the same file")
    try Self.refuses(["bifurcation", "--data", "synthetic", "--runs", "1", "--out", results, "--plot", dir + "/./r.csv"], 64, "--out and --plot name the same file")
    #expect(!FileManager.default.fileExists(atPath: results))
    let r = try CommandLineTests.run(["bifurcation", "--data", "synthetic", "--widths", "784,8,10", "--max-batches", "2", "--runs", "1", "--quiet", "--out", results])
    #expect(r.status == 0, "\(r.error)")
    let before = try Data(contentsOf: URL(fileURLWithPath: results))
    try Self.refuses(["plot", results, "--x", "format", "--y", "ratio", "-o", results], 64, "the input and --output name the same file")
    try FileManager.default.createSymbolicLink(atPath: dir + "/link.csv", withDestinationPath: results)
    try Self.refuses(["merge", results, "-o", dir + "/link.csv"], 64, "--output names the input")
    let sweep = Self.file(dir, "sweep.yaml", "experiment: bifurcation\nout: \(dir)/./sweep.yaml\ngrid:\n  data: synthetic\n")
    try Self.refuses(["sweep", sweep], 64, "the sweep file and --out name the same file")
    #expect(try String(contentsOfFile: sweep, encoding: .utf8).hasPrefix("experiment: bifurcation"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: results)) == before)
  }

  /// Fuzzing finding (FuzzSweepFile): a YAML mapping whose key is itself a mapping or a list trapped
  /// inside Yams (it force-unwraps every key as text); the document is now composed and checked first.
  @Test func sweepFileWithANonTextKey() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // The fuzzer's input, byte for byte (invalid UTF-8 included).
    let bytes: [UInt8] = [
      0x7B, 0x20, 0x65, 0x78, 0x70, 0x65, 0x72, 0x69, 0x6F, 0x6E, 0x22, 0x2C, 0x20, 0x69, 0x64, 0x22, 0x3A, 0x20, 0x77, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      0xFF, 0xF7, 0xF7, 0xF7, 0x70, 0x65, 0x72, 0x69, 0x6F, 0x6E, 0x22, 0x2C, 0x20, 0x7B, 0xFF, 0x4B, 0x74, 0x69, 0x63, 0x22, 0x7D, 0x7D, 0x0A,
    ]
    let found = dir + "/found.yaml"
    FileManager.default.createFile(atPath: found, contents: Data(bytes))
    try Self.refuses(["sweep", found], 64, "found.yaml: a key must be plain text, not a list or a mapping (line 1)")
    let nested = Self.file(dir, "nested.yaml", "experiment: bifurcation\ngrid:\n  ? [format]\n  : fp32\n")
    try Self.refuses(["sweep", nested], 64, "nested.yaml: a key must be plain text, not a list or a mapping (line 3)")
    let flow = Self.file(dir, "flow.json", "{\"experiment\": \"bifurcation\", {\"a\": 1}: 2}\n")
    try Self.refuses(["sweep", flow], 64, "flow.json: a key must be plain text, not a list or a mapping (line 1)")
  }

  /// Two processes given one --out at once: the second is refused at once, naming the first; the
  /// first finishes with every row whole.
  @Test func twoWritersOfOneResultsFile() throws {
    let dir = SweepCommandTests.directory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let results = dir + "/shared.csv"
    let arguments = SweepCommandTests.small + ["--jobs", "1", "--out", results]
    let first = Process()
    first.executableURL = CommandLineTests.executable
    first.arguments = arguments
    first.standardOutput = FileHandle.nullDevice
    first.standardError = FileHandle.nullDevice
    try first.run()
    // Wait for the first writer's header (it holds the lock from before it writes one).
    for _ in 0..<400 where ((try? Data(contentsOf: URL(fileURLWithPath: results)))?.count ?? 0) == 0 { usleep(25_000) }
    let second = try CommandLineTests.run(arguments)
    first.waitUntilExit()
    #expect(first.terminationStatus == 0)
    #expect(second.status == 65)
    #expect(second.error.contains("\(results): another process is writing it (pid \(first.processIdentifier)"), "\(second.error)")
    let reference = try CommandLineTests.run(SweepCommandTests.small + ["--jobs", "2", "--out", dir + "/alone.csv"])
    #expect(reference.status == 0)
    #expect(try SweepCommandTests.rows(results) == SweepCommandTests.rows(dir + "/alone.csv"))
  }

  /// The shortest decimal of a value with many bits: found by bisection, it reads back exactly.
  @Test func shortestDecimalOfAWideValue() throws {
    let started = Date()
    let r = try CommandLineTests.run(["calc", "--format", "mpfr:65536", "div", "1", "3"])
    #expect(r.status == 0, "\(r.error)")
    #expect(Date().timeIntervalSince(started) < 60)
    let fields = r.output.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    try #require(fields.count == 2)
    // 1/3 = 1.010101…₂ × 2⁻²: 65,535 fraction bits, the last (odd-numbered) a 0, followed by 1010…, more
    // than half an ulp, so it rounds up to 1. In hexadecimal: 16,383 digits 5 (0101), then 0110 = 6.
    #expect(fields[0] == "0x1." + String(repeating: "5", count: 16383) + "6p-2")
    let back = try CommandLineTests.run(["calc", "--format", "mpfr:65536", "add", fields[1].trimmingCharacters(in: .whitespacesAndNewlines), "0"])
    #expect(back.output.split(separator: " ").first.map(String.init) == fields[0])
  }
}
