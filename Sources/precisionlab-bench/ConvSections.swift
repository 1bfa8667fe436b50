import CMPFR
import Datasets
import Foundation
import Networks
import ScalarConformance
import Scalars
import Tensors

/// VGG11 and ResNet18 forward + backward in every format and accumulation, next to PyTorch; an MPFR
/// convolution next to raw MPFR; peak memory of a VGG11 batch.
func convnetSection() {
  let batch = quick ? 16 : 128
  emit()
  emit("## Convolutional networks: forward + backward, next to PyTorch")
  emit()
  emit("VGG11 and ResNet18 in the paper's CIFAR layouts (VGG: conv 3×3 with bias, [BN], ReLU, 64-M-128-M-256-256-M-512-512-M-")
  emit("512-512-M, Linear; ResNet18: 3×3 stride-1 stem, stem max pool, BasicBlocks [2, 2, 2, 2]), batch \(batch), 2 threads, training")
  emit("mode, mean cross-entropy, every parameter's gradient (`NetworkBenchmark.forwardBackward`), best of 2 passes. PyTorch")
  emit("\(torchPython == nil ? "(not run: pass --torch PYTHON)" : "2.x") with 2 threads: \(peerDirectory)/torch_convnets.py for 3×32×32, \(ownPeerDirectory)/torch_conv_peers.py")
  emit("for 1×28×28 (the same layouts; PrecisionLab's VGG skips the pool of a 1-pixel map, which the shared script cannot).")
  emit("Low-precision rows are compared with PyTorch's binary32 time. Target: the ratio at most the last column.")
  emit()
  emit("| model | BN | input | format | accumulate | PrecisionLab s | PyTorch s | ratio | target |")
  emit("| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: |")
  struct Row {
    let format: String, accumulate: AccumulationChoice, peer: String, target: Double
    var policy: String? = nil
  }
  let full: [Row] = [
    Row(format: "fp32", accumulate: .same, peer: "32", target: 2), Row(format: "fp64", accumulate: .same, peer: "64", target: 2),
    Row(format: "bf16", accumulate: .binary32, peer: "32", target: 3), Row(format: "fp16", accumulate: .binary32, peer: "32", target: 3),
    Row(format: "bf16", accumulate: .same, peer: "32", target: 12), Row(format: "fp16", accumulate: .same, peer: "32", target: 12),
  ]
  // The binary64 engine's formats rounded after every operation (their own kernel), on the small input.
  // And precision policies (`--policy`): autocast in bfloat16 and FP8 training (MX convolutions).
  let small: [Row] = [
    full[0], full[2], Row(format: "tf32", accumulate: .same, peer: "32", target: 12),
    Row(format: "fp32", accumulate: .same, peer: "32", target: 3, policy: "autocast-cuda-bf16"),
    Row(format: "fp32", accumulate: .same, peer: "32", target: 12, policy: "fp8-training"),
  ]
  for (shape, rows) in [([3, 32, 32], full), ([1, 28, 28], small)] {
    for model in ["vgg11", "resnet18"] {
      for bn in [false, true] {
        var peerSeconds: [String: Double] = [:]
        for precision in Set(rows.map(\.peer)) {
          let arguments = ["--threads", "2", "--batch", "\(batch)", "--shape", shape.map(String.init).joined(separator: ","), "--precision", precision, "--repeats", "2"]
            + (bn ? ["--bn"] : [])
          let lines: [Substring]
          if shape == [3, 32, 32] {
            lines = peer("torch_convnets.py", arguments).split(separator: "\n")
            peerSeconds[precision] = lines.first { $0.hasPrefix(model) }.flatMap { line in
              line.split(separator: " ").dropLast(3).last.flatMap { Double($0) }
            }
          } else {
            lines = peer("torch_conv_peers.py", ["time", "--model", model] + arguments, directory: ownPeerDirectory).split(separator: "\n")
            peerSeconds[precision] = lines.last.flatMap { field($0, after: "seconds=") }
          }
        }
        let spec: ModelSpec = model == "vgg11" ? .vgg(input: shape, classes: 10, batchNorm: bn) : .resnet(input: shape, classes: 10, batchNorm: bn)
        for row in rows {
          let ours = try! NetworkBenchmark.forwardBackward(
            spec, batch: batch, format: try! FloatFormat.named(row.format), accumulate: row.accumulate, threads: 2,
            policy: row.policy.map { PrecisionPolicy(name: $0)! }, repeats: 2)
          let theirs = peerSeconds[row.peer]
          let ratio = theirs.map { ours / $0 }
          let accumulate = row.accumulate == .same ? row.format : row.accumulate.rawValue
          let format = row.policy.map { "\(row.format), `--policy \($0)`" } ?? row.format
          emit("| \(model) | \(bn ? "yes" : "no") | \(shape.map(String.init).joined(separator: "×")) | \(format) | \(accumulate) | \(String(format: "%.2f", ours)) | \(theirs.map { String(format: "%.2f", $0) } ?? "–") | \(ratio.map { String(format: "%.2f", $0) } ?? "–") | \(String(format: "%.0f", row.target)) |")
        }
      }
    }
  }
  mpfrConvolution()
  peakMemory(batch: batch)
}

/// MPFR inside a convolution, next to raw mpfr_fma over the same terms.
func mpfrConvolution() {
  emit()
  emit("### MPFR inside a convolution")
  emit()
  let (b, c, h, o) = quick ? (1, 8, 6, 8) : (2, 16, 8, 16)
  emit("`Convolution.forward` of x [\(b), \(c), \(h), \(h)] with a 3×3 weight of \(o) outputs, padding 1, `MPFRFloat` at 113 bits")
  emit("(nearest-even, one thread: the patch matrix in MPFR values, then each output accumulated in place in (c, i, j) order),")
  emit("ns per multiply-add, next to a C-style loop of `mpfr_fma` over the same terms on preallocated `mpfr_t` variables")
  emit("(padding terms included as zeros), timed alternately, best of 3. Target: ratio at most 2.")
  emit()
  emit("| precision | convolution ns | raw mpfr_fma ns | ratio |")
  emit("| ---: | ---: | ---: | ---: |")
  let format = try! FloatFormat.named("mpfr:113")
  var g = SplitMix64(seed: 11)
  let (x, w) = MPFRFloat.withFormat(format) {
    (Tensor<MPFRFloat>(shape: [b, c, h, h], doubles: (0..<(b * c * h * h)).map { _ in Double(g.next() >> 11) * 0x1p-53 - 0.5 }),
     Tensor<MPFRFloat>(shape: [o, c, 3, 3], doubles: (0..<(o * c * 9)).map { _ in Double(g.next() >> 11) * 0x1p-53 - 0.5 }))
  }
  let geometry = ConvolutionGeometry(input: x.shape, weight: w.shape, stride: 1, padding: 1)
  let patches = MPFRFloat.withFormat(format) { geometry.patches(x.storage) }
  let (positions, k) = (geometry.positions, geometry.patchSize)
  let raw = UnsafeMutablePointer<__mpfr_struct>.allocate(capacity: positions * k + o * k + 1)
  for i in 0..<(positions * k + o * k + 1) { mpfr_init2(raw + i, 113) }
  for i in 0..<(positions * k) { mpfr_set(raw + i, patches[i].number.pointer, MPFR_RNDN) }
  for i in 0..<(o * k) { mpfr_set(raw + positions * k + i, w.storage[i].number.pointer, MPFR_RNDN) }
  let rawW = raw + positions * k, racc = raw + positions * k + o * k
  var ours = Double.infinity, rawBest = Double.infinity
  for _ in 0..<3 {
    ours = min(ours, MPFRFloat.withFormat(format) {
      time(repeats: 1) { blackHole(Convolution.forward(x, weight: w, bias: nil, stride: 1, padding: 1, plan: KernelPlan(options: KernelOptions(fused: true)))) }
    })
    rawBest = min(rawBest, time(repeats: 1) {
      for p in 0..<positions {
        for j in 0..<o {
          mpfr_set_zero(racc, 1)
          for q in 0..<k { mpfr_fma(racc, raw + p * k + q, rawW + j * k + q, racc, MPFR_RNDN) }
        }
      }
    })
  }
  for i in 0..<(positions * k + o * k + 1) { mpfr_clear(raw + i) }
  raw.deallocate()
  let perTerm = 1e9 / Double(positions * k * o)
  emit(String(format: "| 113 | %.1f | %.1f | %.2f |", ours * perTerm, rawBest * perTerm, ours / rawBest))
}

/// Peak memory of a VGG11 batch, as a separate process.
func peakMemory(batch: Int) {
  emit()
  emit("### Peak memory")
  emit()
  let memoryArguments = ["grad", "--model", "vgg", "--input-shape", "3,32,32", "--format", "fp32", "--data", "synthetic", "--batch-size", "\(batch)", "--threads", "2"]
  if let r = runPrecisionLab(memoryArguments) {
    emit("`precisionlab \(memoryArguments.joined(separator: " "))` (1024 synthetic images, VGG11 initialised, one forward +")
    emit("backward of the batch): peak resident memory \(String(format: "%.0f", Double(r.peakBytes) / 1048576)) MiB (`ru_maxrss`), \(String(format: "%.2f", r.seconds)) s in all. Target: at most 2 GiB.")
  } else {
    emit("`precisionlab grad` failed or is not built beside the bench: not measured.")
  }
}

/// One draw of the VGG11 bifurcation protocol on Fashion-MNIST, next to PyTorch.
func convProtocolSection() {
  emit()
  emit("## Bifurcation protocol on a convolutional network, next to PyTorch")
  emit()
  let batches = quick ? 2 : 10
  emit("VGG11 on Fashion-MNIST (1×28×28, pixels k/255, file order), batch 100, ReLU'(0) = 0 vs 1, binary32, 2 threads, the")
  emit("first convolution's weight gradient compared. PrecisionLab: `BifurcationStudy` (screening and the shared upper")
  emit("backward); PyTorch: \(ownPeerDirectory)/torch_conv_peers.py (two networks, forward and backward each, the paper's rule).")
  emit("Seconds per batch examined, over the first \(batches) batches (every batch examined), and one draw until its first")
  emit("difference.")
  emit()
  guard let train = try? LabeledImages.idx(images: fashionData + "/train-images-idx3-ubyte.gz", labels: fashionData + "/train-labels-idx1-ubyte.gz") else {
    emit("Fashion-MNIST not found at \(fashionData) (apt install dataset-fashion-mnist, or set PRECISIONLAB_FASHION_MNIST): not measured.")
    return
  }
  emit("| run | PrecisionLab batches | PrecisionLab s/batch | backward passes | PyTorch batches | PyTorch s/batch | ratio |")
  emit("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
  for (label, allBatches) in [("first \(batches) batches", true), ("one draw until the first difference", false)] {
    var compute = ComputeSettings(format: .binary32)
    compute.threads = 2
    var study = BifurcationStudy(
      model: .vgg(input: [1, 28, 28], classes: 10), compute: compute,
      feed: BatchFeed(data: train, batchSize: 100, maxBatches: allBatches ? batches : nil), seed: 0)
    study.kinkRule = .paper
    study.untilFirstDifference = !allBatches
    var record: BifurcationStudy.Record? = nil
    let seconds = time(repeats: 1) { record = try! study.run() }
    let examined = record!.batchesExamined
    let out = peer(
      "torch_conv_peers.py",
      ["bifurcation", "--images", fashionData + "/train-images-idx3-ubyte.gz", "--labels", fashionData + "/train-labels-idx1-ubyte.gz",
       "--model", "vgg11", "--batch", "100", "--precision", "32", "--threads", "2"] + (allBatches ? ["--all-batches", "--max-batches", "\(batches)"] : []),
      directory: ownPeerDirectory
    ).split(separator: "\n").last
    let theirs = out.flatMap { field($0, after: "seconds_per_batch=") }
    let theirBatches = out.flatMap { field($0, after: "examined=") }.map { Int($0) }
    let ours = seconds / Double(examined)
    emit("| \(label) | \(examined) | \(String(format: "%.3f", ours)) | \(record!.backwardPasses) | \(theirBatches.map(String.init) ?? "–") | \(theirs.map { String(format: "%.3f", $0) } ?? "–") | \(theirs.map { String(format: "%.2f", ours / $0) } ?? "–") |")
  }
}
