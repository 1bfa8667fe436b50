import Datasets
import Foundation
import Networks
import Scalars
import Tensors

/// The MLP bifurcation protocol next to PyTorch.
func protocolSection() {

  emit()
  emit("## Bifurcation protocol: seconds per 100 mini-batches, next to PyTorch")
  emit()
  let protocolBatches = quick ? 4 : 20
  emit("MNIST MLP 784-256-256-256-10, batch 256, ReLU'(0) = 0 vs 1, every batch (no early stop), first \(protocolBatches)")
  emit("batches of the training set, one run, one thread. PrecisionLab: `BifurcationStudy` (screening: no backward pass")
  emit("on a batch without an exact zero at a ReLU input; shared upper backward). PyTorch: \(peerDirectory)/torch_bifurcation.py")
  emit("(two networks, forward and backward each, as the paper; the same peer beside the paper-protocol rows, whose summed")
  emit("gradients need a backward pass on every batch). Rows without a PyTorch precision have no peer (PyTorch's CPU kernels")
  emit("do not offer that arithmetic).")
  emit()
  emit("| format | PrecisionLab s/100 batches | backward passes | PyTorch s/100 batches | ratio |")
  emit("| --- | ---: | ---: | ---: | ---: |")
  if let train = try? LabeledImages.idx(images: mnistData + "/train-images-idx3-ubyte.gz", labels: mnistData + "/train-labels-idx1-ubyte.gz") {
    // The corrected protocol's rows, then the paper protocol's (constant kink rule, gradients summed
    // over the pass: a backward pass on every batch) next to the same PyTorch peer.
    // (format, accumulation, PyTorch peer precision, summation order, paper protocol, TF32 operands)
    var protocolRows: [(String, AccumulationChoice, String, KernelOptions.SummationOrder, Bool, Bool)] = [
      ("fp16", .same, "16", .sequential, false, false), ("fp16", .binary32, "", .sequential, false, false), ("bf16", .same, "", .sequential, false, false),
      ("bf16", .binary32, "", .sequential, false, false), ("fp32", .same, "32", .sequential, false, false),
      ("fp32", .same, "", .sequential, false, true), ("fp64", .same, "64", .sequential, false, false),
    ]
    if BLAS.isAvailable { protocolRows += [("fp32", .same, "32", .blas, false, false), ("fp64", .same, "64", .blas, false, false)] }
    protocolRows += [
      ("fp16", .binary32, "16", .sequential, true, false), ("fp32", .same, "32", .sequential, true, false),
      ("fp32", .same, "", .sequential, true, true), ("fp32", .same, "", KernelOptions.SummationOrder(name: "tc:a100-tf32")!, true, true),
      ("fp64", .same, "64", .sequential, true, false),
    ]
    var paperPeer: Double? = nil  // PyTorch's binary32 paper-protocol time: the peer of the tree row too
    for (name, accumulate, precision, order, paper, tf32) in protocolRows {
      var compute = ComputeSettings(format: try! FloatFormat.named(name), accumulate: accumulate)
      compute.options = KernelOptions(order: order)
      if tf32 { compute.operands = OperandRounding(format: .tf32) }
      var study = BifurcationStudy(
        model: .mlp(widths: [784, 256, 256, 256, 10], activateFirstLayer: true),
        compute: compute,
        feed: BatchFeed(data: train, batchSize: 256, maxBatches: protocolBatches), seed: 0)
      study.untilFirstDifference = false
      if paper {
        study.kinkRule = .paper
        study.accumulateGradients = true
      }
      var record: BifurcationStudy.Record? = nil
      let seconds = time(repeats: 1) { record = try! study.run() }
      var theirs: Double? = nil
      if !precision.isEmpty {
        let out = peer("torch_bifurcation.py", ["--mnist", mnistData, "--precision", precision, "--runs", "1", "--all-batches", "--max-batches", "\(protocolBatches)", "--threads", "1"])
        theirs = out.split(separator: "\n").last.flatMap { field($0, after: "seconds_per_100_batches=") }
      }
      if paper && precision == "32" && !tf32 { paperPeer = theirs }
      let ours = seconds * 100 / Double(protocolBatches)
      var orderLabel = ""
      if case .tensorCore = order { orderLabel = ", A100 tensor-core model (`--summation \(order)`)" }
      let label = (accumulate == .same ? name : "\(name), fp32 accumulation") + (order == .blas ? ", OpenBLAS (summation order: BLAS's)" : "") + orderLabel
        + (tf32 ? ", TF32 operands (`--operands tf32`)" : "") + (paper ? ", paper protocol (summed gradients)" : "")
      emit("| \(label) | \(String(format: "%.2f", ours)) | \(record!.backwardPasses) of \(2 * protocolBatches) | \(theirs.map { String(format: "%.2f", $0) } ?? "–") | \(theirs.map { String(format: "%.2f", ours / $0) } ?? "–") |")
    }
    // PyTorch's CPU arithmetic replayed (`--summation tree:FILE`) against the sequential row above.
    let trees = "experiments/arithmetic/pytorch-cpu-amd-epyc-avx2-1thread.json"
    if let loaded = try? ProductTreesFile.load(trees) {
      var compute = ComputeSettings(format: .binary32)
      compute.trees = loaded
      var study = BifurcationStudy(
        model: .mlp(widths: [784, 256, 256, 256, 10], activateFirstLayer: true), compute: compute,
        feed: BatchFeed(data: train, batchSize: 256, maxBatches: protocolBatches), seed: 0)
      study.untilFirstDifference = false
      study.kinkRule = .paper
      study.accumulateGradients = true
      var record: BifurcationStudy.Record? = nil
      let seconds = time(repeats: 1) { record = try! study.run() }
      let ours = seconds * 100 / Double(protocolBatches)
      emit("| fp32, PyTorch CPU's trees (`--summation tree:\(trees)`), paper protocol (summed gradients) | \(String(format: "%.2f", ours)) | \(record!.backwardPasses) of \(2 * protocolBatches) | \(paperPeer.map { String(format: "%.2f", $0) } ?? "–") | \(paperPeer.map { String(format: "%.2f", ours / $0) } ?? "–") |")
    } else {
      emit("(\(trees) not found from \(FileManager.default.currentDirectoryPath): the PyTorch-CPU tree row is not measured.)")
    }
    // Issue 34's options beside their plain rows above: MX operands (fp32, corrected protocol) and a loss
    // scale (fp16 rounded at every operation, corrected protocol: a backward pass on every batch).
    for (label, mx, scale) in [("fp32, MX operands (`--mx mxfp8-e4m3`)", MXScaling(.e4m3) as MXScaling?, 1.0),
                               ("fp16, loss scale 1024 (`--loss-scale 1024`)", nil, 1024)] {
      var compute = ComputeSettings(format: mx == nil ? .binary16 : .binary32)
      compute.mx = mx
      var study = BifurcationStudy(
        model: .mlp(widths: [784, 256, 256, 256, 10], activateFirstLayer: true), compute: compute,
        feed: BatchFeed(data: train, batchSize: 256, maxBatches: protocolBatches), seed: 0)
      study.untilFirstDifference = false
      study.lossScale = scale
      var record: BifurcationStudy.Record? = nil
      let seconds = time(repeats: 1) { record = try! study.run() }
      emit("| \(label) | \(String(format: "%.2f", seconds * 100 / Double(protocolBatches))) | \(record!.backwardPasses) of \(2 * protocolBatches) | – | – |")
    }
    // A precision policy beside the fp32 and fp16 rows (corrected protocol).
    for name in ["autocast-cuda-fp16", "fp8-training"] {
      var compute = ComputeSettings(format: .binary32)
      compute.policy = PrecisionPolicy(name: name)!
      var study = BifurcationStudy(
        model: .mlp(widths: [784, 256, 256, 256, 10], activateFirstLayer: true), compute: compute,
        feed: BatchFeed(data: train, batchSize: 256, maxBatches: protocolBatches), seed: 0)
      study.untilFirstDifference = false
      var record: BifurcationStudy.Record? = nil
      let seconds = time(repeats: 1) { record = try! study.run() }
      emit("| fp32, policy `--policy \(name)` | \(String(format: "%.2f", seconds * 100 / Double(protocolBatches))) | \(record!.backwardPasses) of \(2 * protocolBatches) | – | – |")
    }
    // The census experiment (λ from forward passes alone) beside the protocol rows of the same formats.
    for (name, accumulate) in [("fp16", AccumulationChoice.binary32), ("fp32", .same)] {
      let study = KinkCensusStudy(
        model: .mlp(widths: [784, 256, 256, 256, 10], activateFirstLayer: true),
        compute: ComputeSettings(format: try! FloatFormat.named(name), accumulate: accumulate),
        feed: BatchFeed(data: train, batchSize: 256, maxBatches: protocolBatches), seed: 0)
      var result: KinkCensusStudy.Result? = nil
      let seconds = time(repeats: 1) { result = try! study.run() }
      let label = accumulate == .same ? name : "\(name), fp32 accumulation"
      emit("| \(label), census (`precisionlab census`: λ per layer, forward passes only; \(result!.batchesWithKinks) of \(protocolBatches) batches with a zero) | \(String(format: "%.2f", seconds * 100 / Double(protocolBatches))) | none | – | – |")
    }
  } else {
    emit("MNIST not found at \(mnistData) (set PRECISIONLAB_MNIST): not measured.")
  }

}
