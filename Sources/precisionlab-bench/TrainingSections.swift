import Datasets
import ScalarConformance
import Foundation
import Networks
import Scalars
import Tensors

/// Optimiser steps next to torch.optim, and a whole training step through `TrainingStudy` (the path
/// `precisionlab train` takes: the trainer behind an existential, master weights, the schedule).
func trainingSection() {
  emit()
  emit("## Training: optimiser steps and a training epoch")
  emit()
  let count = quick ? 1 << 18 : 1 << 20
  emit("`Optimizer.step` on \(count) parameters in one tensor, ns per parameter, one thread, hyper-parameters as the")
  emit("studies use them (SGD: momentum 0.9, weight decay 5e-4; Adam: PyTorch's defaults; AdamW: weight decay 0.01;")
  emit("INNAprop: the reference's defaults). PyTorch: \(ownPeerDirectory)/torch_optimizers.py, `torch.optim` with its default")
  emit("CPU implementation (foreach), one thread\(torchPython == nil ? " (not run: pass --torch PYTHON)" : ""); INNAprop has no PyTorch peer.")
  emit()
  emit("| rule | format | PrecisionLab ns/parameter | PyTorch ns/parameter | ratio |")
  emit("| --- | --- | ---: | ---: | ---: |")
  let rules: [(String, OptimizerKind, String)] = [
    ("SGD", .sgd(momentum: 0.9, weightDecay: 5e-4), "sgd"), ("Adam", .adam(), "adam"), ("AdamW", .adamW(), "adamw"),
    ("INNAprop", .innaprop(), ""),
  ]
  let torchLines = peer("torch_optimizers.py", ["--count", "\(count)"], directory: ownPeerDirectory).split(separator: "\n")
  func row<M: PrecisionScalar>(_: M.Type, _ format: String, torchName: String) {
    for (label, kind, name) in rules {
      var g = SplitMix64(seed: 7)
      let values = (0..<count).map { _ in M(Double(g.next() >> 11) * 0x1p-53 - 0.5) }
      var parameters = [Tensor(shape: [count], storage: values)]
      let gradients = [Tensor(shape: [count], storage: values.map { $0 * M(0.01) })]
      var optimizer = Optimizer<M>(kind, learningRate: 1e-3)
      optimizer.step(&parameters, gradients)  // allocates the buffers
      let steps = quick ? 3 : 10
      let seconds = time { for _ in 0..<steps { optimizer.step(&parameters, gradients) } }
      blackHole(parameters)
      let ours = seconds / Double(steps * count) * 1e9
      let theirs = name.isEmpty ? nil : torchLines.first { $0.hasPrefix("\(name) \(torchName) ") }.flatMap { field($0, after: "ns_per_parameter=") }
      emit("| \(label) | \(format) | \(String(format: "%.2f", ours)) | \(theirs.map { String(format: "%.2f", $0) } ?? "–") | \(theirs.map { String(format: "%.2f", ours / $0) } ?? "–") |")
    }
  }
  row(Float.self, "binary32", torchName: "float32")
  row(Double.self, "binary64", torchName: "float64")
  row(BFloat16.self, "bfloat16", torchName: "bfloat16")

  // A whole epoch through TrainingStudy: forward, backward, the trainer behind `any TrainingStep`.
  let samples = quick ? 512 : 2048
  let data = Synthetic.gaussianBlobs(count: samples, classes: 10, shape: [784], seed: 3)
  emit()
  emit("`TrainingStudy`, one epoch of \(samples) synthetic 784-value samples, MLP 784-256-256-10, batch 128, one thread, no")
  emit("test set: ms per step (forward, backward and update), binary32 storage; with binary16 storage and binary32 master")
  emit("weights the step also rounds the gradients into the master format and the weights back.")
  emit()
  emit("| optimiser | storage | master | ms per step |")
  emit("| --- | --- | --- | ---: |")
  let steps = (samples + 127) / 128
  for (label, kind, _) in rules {
    for (format, master) in [("binary32", TrainingStudy.MasterWeights.same), ("binary16", .binary32)] {
      var study = TrainingStudy(
        model: .mlp(widths: [784, 256, 256, 10], activateFirstLayer: true), compute: ComputeSettings(format: try! FloatFormat.named(format)),
        activation: .relu(0), optimizer: kind, learningRate: 1e-3, epochs: 1,
        train: BatchFeed(data: data, batchSize: 128), seed: 0)
      study.master = master
      let seconds = time(repeats: quick ? 1 : 3) { blackHole(try! study.run { _ in }) }
      emit("| \(label) | \(format) | \(master.rawValue) | \(String(format: "%.2f", seconds / Double(steps) * 1e3)) |")
    }
  }
}
