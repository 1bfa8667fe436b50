import Foundation
import Datasets
import Networks
import Scalars
import Tensors
import Testing
import TestSupport

/// `precisionlab grad` end to end: safetensors in, gradients out, identical to the library's; bad
/// parameter files and batches are data errors (65) naming the problem.
@Suite struct GradCommandTests {
  static func temporary(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("precisionlab-\(UUID().uuidString)-\(name)").path
  }

  @Test func gradientsMatchTheLibrary() throws {
    let inputs = Self.temporary("inputs.safetensors"), out = Self.temporary("g.safetensors")
    defer { for p in [inputs, out] { try? FileManager.default.removeItem(atPath: p) } }
    var initializer = Initializer(seed: 9)
    let x = Tensor<Float>(shape: [6, 5], doubles: (0..<30).map { _ in initializer.uniform(bound: 1) })
    let labels = [0, 1, 2, 0, 1, 2]
    var file = SafetensorsFile()
    file.set("inputs", x)
    file.setLabels("labels", labels)
    try file.write(to: inputs)
    let r = try CommandLineTests.run([
      "grad", "--widths", "5,4,3", "--format", "bf16", "--accumulate", "fp32", "--seed", "3", "--relu0", "1",
      "--inputs", inputs, "--batch-size", "3", "--batch-index", "1", "--out", out,
    ])
    #expect(r.status == 0, "\(r.error)")
    var net: Network<BFloat16> = MLP.make(widths: [5, 4, 3], activation: .relu(1), seed: 3)
    let batch = Tensor<BFloat16>(shape: [3, 5], storage: x.converted(to: BFloat16.self).storage.suffix(15).map { $0 })
    let expected = net.lossAndGradients(batch, labels: [0, 1, 2], KernelPlan(accumulate: .binary32))
    #expect(r.output.hasPrefix("loss \(expected.loss.hexDescription) "))
    let written = try SafetensorsFile.read(from: out)
    #expect(written.entries["0.weight"]?.dtype == .BF16)
    for (name, g) in zip(net.parameterNames, expected.gradients) {
      #expect(try written.tensor(name, as: BFloat16.self).storage == g.storage, "\(name)")
    }
  }

  @Test func badParametersAndBatchesAreDataErrors() throws {
    let inputs = Self.temporary("inputs.safetensors")
    defer { try? FileManager.default.removeItem(atPath: inputs) }
    var file = SafetensorsFile()
    file.set("inputs", Tensor<Float>(zeros: [4, 4]))
    file.setLabels("labels", [0, 1, 0, 1])
    try file.write(to: inputs)
    let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("NetworksTests/Fixtures/pytorch_mlp_4_3_2.safetensors").path
    let good = try CommandLineTests.run(["grad", "--widths", "4,3,2", "--params", fixture, "--inputs", inputs])
    #expect(good.status == 0 && good.output.hasPrefix("loss "), "\(good.error)")
    let cases: [([String], String)] = [
      (["--widths", "4,5,2", "--params", fixture], "parameter '0.weight' has shape [3, 4] in the file, [5, 4] in the model"),
      (["--widths", "4,3,2", "--batch-size", "3", "--batch-index", "1"], "batch 1 of size 3 is outside its 4 rows"),
      (["--widths", "5,3,2"], "inputs [4, 4] do not match the model's input shape [5]"),
      (["--widths", "4,3,2", "--params", inputs + ".missing"], "cannot read the file"),
    ]
    for (arguments, message) in cases {
      let r = try CommandLineTests.run(["grad", "--inputs", inputs] + arguments)
      #expect(r.status == 65, "\(arguments)")
      #expect(r.error.split(separator: "\n").count == 1 && r.error.contains(message), "\(r.error)")
    }
    let usage = try CommandLineTests.run(["grad", "--inputs", inputs, "--summation", "zigzag"])
    #expect(usage.status == 64 && usage.error.contains("unknown order 'zigzag'"))
  }
}

/// `grad --data`: batches cut from a dataset (file order) or synthetic data, said plainly.
@Suite struct GradDataTests {
  @Test(.enabled(if: Integration.runs(Integration.sharedMNIST != nil), Comment(rawValue: Integration.noMNIST)))
  func realMNISTBatchMatchesTheLibrary() throws {
    let mnist = try #require(Integration.sharedMNIST, Comment(rawValue: Integration.noMNIST))
    let dataDirectory = URL(fileURLWithPath: mnist).deletingLastPathComponent().path
    let r = try CommandLineTests.run(["grad", "--widths", "784,8,10", "--format", "bf16", "--data", "mnist", "--data-dir", dataDirectory, "--batch-size", "16", "--batch-index", "2", "--seed", "4"])
    #expect(r.status == 0, "\(r.error)")
    let train = try DatasetDescriptor.mnist.load(from: dataDirectory).train
    let (x, labels) = Preprocessing().batch(train, indices: Array(32..<48), as: BFloat16.self)
    var net: Network<BFloat16> = MLP.make(widths: [784, 8, 10], seed: 4)
    // bfloat16 accumulates in binary32 by default (--accumulate auto), as hardware does.
    let expected = net.lossAndGradients(x.reshaped([16, 784]), labels: labels, KernelPlan(accumulate: .binary32))
    #expect(r.output.hasPrefix("loss \(expected.loss.hexDescription) "))
    #expect(r.output.contains("kinks \(expected.kinks[0])"))
  }

  @Test func syntheticDataIsAnnounced() throws {
    let r = try CommandLineTests.run(["grad", "--widths", "784,8,10", "--data", "synthetic", "--batch-size", "8"])
    #expect(r.status == 0 && r.error.contains("using synthetic data"))
    let missing = try CommandLineTests.run(["grad", "--data", "mnist", "--data-dir", "/nonexistent", "--batch-size", "8"])
    #expect(missing.status == 65 && missing.error.contains("precisionlab data fetch mnist"))
  }

  /// `--summation blas` is refused with one line where BLAS cannot compute (bfloat16), and runs where it can.
  @Test func blasSummationIsCheckedForTheFormat() throws {
    let bad = try CommandLineTests.run(["grad", "--widths", "784,16,10", "--format", "bf16", "--data", "synthetic", "--summation", "blas"])
    #expect(bad.status == 64)
    #expect(bad.error.contains("--summation blas") && bad.error.split(separator: "\n").count == 1, "\(bad.error)")
  }

  @Test(.enabled(if: Integration.runs(BLAS.isAvailable), Comment(rawValue: "no BLAS library (\(BLAS.library)); make test installs OpenBLAS when root")))
  func blasSummationRuns() throws {
    try #require(BLAS.isAvailable, Comment(rawValue: BLAS.library))
    let good = try CommandLineTests.run(["grad", "--widths", "784,16,10", "--format", "fp64", "--data", "synthetic", "--summation", "blas"])
    #expect(good.status == 0, "\(good.error)")
    #expect(good.output.hasPrefix("loss "))
  }

}
