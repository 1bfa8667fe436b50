@testable import Experiments
import Foundation
import Networks
import Tensors
import Testing

/// `--summation tree:FILE` and `pytorch-cpu` at the edge: a file is read and checked once, the
/// combinations it decides are refused, a missing product shape is named with the command that reads
/// it, and the preset finds the trees of this CPU.
@Suite struct ProductTreesOptionTests {
  static let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("experiments/arithmetic").path

  static func write(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("trees-\(UUID().uuidString).json").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  static let small = """
    {"key": {"cpu": "Test CPU", "threads": 1, "forward": "nn.Linear (addmm)"}, "products": [
     {"role": "forward", "m": 4, "n": 3, "k": 5, "parts": [{"columns": [[0, 2]], "summation": "blocked:2", "fused": true, "bias": "first"},
                                                          {"columns": [[2, 3]], "summation": "lanes:2", "fused": false}]}]}
    """

  @Test func aFileIsReadIntoPartsPerShape() throws {
    let trees = try ProductTreesFile.load(try Self.write(Self.small))
    let parts = try #require(trees.products[ProductTrees.Shape(.forward, m: 4, n: 3, k: 5)])
    #expect(parts.map(\.columns) == [[0..<2], [2..<3]])
    #expect(parts[0].options == KernelOptions(order: .blocked(2), fused: true, biasFirst: true))
    #expect(parts[1].options == KernelOptions(order: .lanes(2)))
    #expect(trees.key["cpu"] == "Test CPU")
  }

  @Test(arguments: [
    ("{}", "no products"),
    (#"{"products": [{"role": "sideways", "m": 1, "n": 1, "k": 1, "parts": []}]}"#, "expected role"),
    (#"{"products": [{"role": "input", "m": 2, "n": 3, "k": 1, "parts": [{"columns": [[0, 2]], "summation": "sequential", "fused": false}]}]}"#, "column 2 in no part"),
    (#"{"products": [{"role": "input", "m": 2, "n": 2, "k": 1, "parts": [{"columns": [[0, 2]], "summation": "blas", "fused": false}]}]}"#, "not blas"),
  ])
  func badFilesAreOneLine(text: String, says: String) throws {
    let path = try Self.write(text)
    #expect(throws: ProductTreesFile.ReadError.self) { try ProductTreesFile.load(path) }
    do { _ = try ProductTreesFile.load(path) } catch { #expect(error.description.contains(says), "\(error.description)") }
  }

  @Test func theOptionRefusesWhatTheTreesDecide() throws {
    let path = "\(Self.committed)/pytorch-cpu-amd-epyc-avx2-1thread.json"
    var values = ["summation": "tree:\(path)", "model": "mlp", "widths": "784,256,256,256,10", "batch-size": "256", "data": "mnist"]
    #expect(ComputeParameters.treeProblem(values, path: path) == nil)
    values["fused"] = "true"
    #expect(ComputeParameters.treeProblem(values, path: path)?.description.contains("--fused") == true)
    values["fused"] = "false"
    values["batch-size"] = "128"
    let missing = try #require(ComputeParameters.treeProblem(values, path: path)).description
    #expect(missing.contains("m=128") && missing.contains("--batch-size 96,128"), "\(missing)")
    values["batch-size"] = "256"
    values["model"] = "vgg"
    #expect(ComputeParameters.treeProblem(values, path: path)?.description.contains("dense layers only") == true)
  }

  @Test func thePresetFindsThisCPUsTrees() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("arith-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try Self.small.write(toFile: folder + "/a.json", atomically: true, encoding: .utf8)
    try Self.small.replacingOccurrences(of: "nn.Linear (addmm)", with: "x @ W.t() + b").write(toFile: folder + "/0.json", atomically: true, encoding: .utf8)
    #expect(ProductTreesFile.stored(cpu: "Test CPU", in: ["/nonexistent", folder]) == folder + "/a.json")
    #expect(ProductTreesFile.stored(cpu: "Other CPU", in: [folder]) == nil)
    #expect(ProductTreesFile.stored(cpu: "AMD EPYC", in: [Self.committed]) == Self.committed + "/pytorch-cpu-amd-epyc-avx2-1thread.json")
  }
}
