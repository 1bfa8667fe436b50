// Benchmarks (release mode), written as docs/PERFORMANCE.md: scalars (ns per operation, bulk rounding,
// MPFR next to raw MPFR), networks (MLP and convolutional networks forward + backward in every scalar
// type), matrix products in every summation order, the bifurcation protocols, sweeps and datasets, each
// next to its PyTorch peer where one exists.
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

let quick = CommandLine.arguments.contains("--quick")

/// The sections, in document order; `--sections a,b` runs only those (the document is then partial).
let sections: [(String, () -> Void)] = [
  ("scalars", scalarSection), ("rounding", roundingSection), ("mpfr", mpfrSection), ("networks", networkSection),
  ("matmul", matmulSection), ("convnets", convnetSection), ("protocol", protocolSection), ("conv-protocol", convProtocolSection),
  ("sweeps", sweepSection), ("datasets", datasetSection),
]
let chosen: Set<String>? = CommandLine.arguments.firstIndex(of: "--sections").flatMap { i in
  i + 1 < CommandLine.arguments.count ? Set(CommandLine.arguments[i + 1].split(separator: ",").map(String.init)) : nil
}
if let chosen, let unknown = chosen.first(where: { name in !sections.contains { $0.0 == name } }) {
  FileHandle.standardError.write(Data("precisionlab-bench: unknown section '\(unknown)'; valid: \(sections.map(\.0).joined(separator: ", "))\n".utf8))
  exit(64)
}

let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
  .split(separator: "\n").first { $0.hasPrefix("model name") }?
  .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown"
emit("# Performance")
emit()
emit("Written by `.build/release/precisionlab-bench \(CommandLine.arguments.dropFirst().joined(separator: " "))` (release build).")
emit("Machine: \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores. Each figure is the best of 5 timed runs.")
emit()
for (name, run) in sections where chosen?.contains(name) ?? true { run() }

if let index = CommandLine.arguments.firstIndex(of: "--write"), index + 1 < CommandLine.arguments.count {
  try! (report.joined(separator: "\n") + "\n").write(toFile: CommandLine.arguments[index + 1], atomically: true, encoding: .utf8)
}
