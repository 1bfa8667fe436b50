// Benchmarks (release mode), written as docs/PERFORMANCE.md: scalars (ns per operation, bulk rounding,
// MPFR next to raw MPFR), networks (MLP and convolutional networks forward + backward in every scalar
// type, and each layer kind on its own), matrix products in every summation order, the bifurcation
// protocols, optimiser steps and training, sweeps and datasets, each next to its PyTorch peer where one
// exists.
//
//   swift build -c release && .build/release/precisionlab-bench [--quick] [--torch PYTHON] [--sections a,b]
//                                                                [--write docs/PERFORMANCE.md]
import CMPFR
import Datasets
import Dispatch
import Foundation
import Networks
import ScalarConformance
import Scalars
import Tensors

/// The sections, in document order; `--sections a,b` runs only those (the document is then partial).
let sections: [(String, () -> Void)] = [
  ("scalars", scalarSection), ("rounding", roundingSection), ("mpfr", mpfrSection), ("networks", networkSection),
  ("matmul", matmulSection), ("convnets", convnetSection), ("layers", layerSection), ("protocol", protocolSection), ("conv-protocol", convProtocolSection),
  ("training", trainingSection), ("sweeps", sweepSection), ("datasets", datasetSection),
]
let arguments: BenchArguments
do {
  arguments = try BenchArguments(Array(CommandLine.arguments.dropFirst()), sectionNames: sections.map(\.0))
} catch .help {
  print(BenchArguments.usage)
  exit(0)
} catch {
  FileHandle.standardError.write(Data("\(error)\n".utf8))
  exit(64)
}
let quick = arguments.quick
if let path = arguments.write {
  // Fail now, not after an hour of timing: the report's directory must exist and be writable.
  let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
  guard FileManager.default.isWritableFile(atPath: directory) else {
    FileHandle.standardError.write(Data("precisionlab-bench: cannot write \(path): \(directory) is not a writable directory\n".utf8))
    exit(73)
  }
}

let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
  .split(separator: "\n").first { $0.hasPrefix("model name") }?
  .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown"
emit("# Performance")
emit()
emit("Written by `.build/release/precisionlab-bench \(CommandLine.arguments.dropFirst().joined(separator: " "))` (release build).")
emit("Machine: \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores. Each figure is the best of 5 timed runs.")
emit()
for (name, run) in sections where arguments.sections?.contains(name) ?? true { run() }

if let path = arguments.write {
  do {
    try (report.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
  } catch {
    FileHandle.standardError.write(Data("precisionlab-bench: cannot write \(path): \(error.localizedDescription)\n".utf8))
    exit(73)
  }
}
