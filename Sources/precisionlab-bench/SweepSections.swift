import Datasets
import Foundation
import Networks
import Scalars

/// Sweep throughput with 1 and 2 jobs, peak memory of a long sweep.
func sweepSection() {
  emit("## Sweeps: throughput with 1 and 2 jobs, peak memory")
  emit()
  let sweepData = (mnistData as NSString).deletingLastPathComponent
  let sweepFolder = NSTemporaryDirectory() + "precisionlab-bench-\(getpid())"
  try? FileManager.default.createDirectory(atPath: sweepFolder, withIntermediateDirectories: true)
  if FileManager.default.fileExists(atPath: mnistData + "/train-images-idx3-ubyte.gz") {
    let runs = quick ? 4 : 32, batches = quick ? 2 : 8
    let throughputArguments = ["bifurcation", "--data", "mnist", "--data-dir", sweepData, "--format", "fp16", "--all-batches", "--max-batches", "\(batches)", "--runs", "\(runs)", "--quiet"]
    emit("`precisionlab bifurcation --data mnist --format fp16 --all-batches --max-batches \(batches) --runs \(runs) --jobs J` (MLP")
    emit("784-256-256-256-10, batch 256), as a separate process, 1 and 2 jobs alternately, twice each, the faster run of each;")
    emit("trials per second of wall time, including loading MNIST.")
    emit()
    emit("| jobs | seconds | trials per second | speed-up |")
    emit("| ---: | ---: | ---: | ---: |")
    // Alternating 1, 2, 1, 2 spreads a slow spell of this shared machine over both job counts.
    var best: [Int: Double] = [:]
    for jobs in [1, 2, 1, 2] {
      let out = sweepFolder + "/throughput-\(jobs).csv"
      try? FileManager.default.removeItem(atPath: out)
      if let r = runPrecisionLab(throughputArguments + ["--jobs", "\(jobs)", "--out", out]) { best[jobs] = min(best[jobs] ?? .infinity, r.seconds) }
    }
    for jobs in [1, 2] {
      if let seconds = best[jobs] {
        let rate = Double(runs) / seconds
        let speedUp = best[1].map { String(format: "%.2f", $0 / seconds) } ?? "–"
        emit("| \(jobs) | \(String(format: "%.2f", seconds)) | \(String(format: "%.2f", rate)) | \(speedUp) |")
      } else {
        emit("| \(jobs) | failed (is precisionlab built beside the bench?) | | |")
      }
    }
    emit()
    let bigRuns = quick ? 50 : 1000
    let memoryArguments = ["bifurcation", "--data", "mnist", "--data-dir", sweepData, "--format", "fp16", "--runs", "\(bigRuns)", "--jobs", "2", "--quiet", "--out", sweepFolder + "/memory.csv"]
    if let r = runPrecisionLab(memoryArguments) {
      emit("A \(bigRuns)-run MNIST bifurcation sweep (`precisionlab bifurcation --data mnist --format fp16 --runs \(bigRuns) --jobs 2`,")
      emit("until the first difference, the paper's protocol): peak resident memory \(String(format: "%.0f", Double(r.peakBytes) / 1048576)) MiB (`ru_maxrss`), \(String(format: "%.0f", r.seconds)) s.")
    } else {
      emit("The \(bigRuns)-run sweep failed (is precisionlab built beside the bench?): not measured.")
    }
  } else {
    emit("MNIST not found at \(mnistData) (set PRECISIONLAB_MNIST): not measured.")
  }
  try? FileManager.default.removeItem(atPath: sweepFolder)

}

/// Loading MNIST.
func datasetSection() {

  emit()
  emit("## Loading MNIST")
  emit()
  let mnistDirectory = ProcessInfo.processInfo.environment["PRECISIONLAB_MNIST"] ?? "../shared/data/mnist"
  if FileManager.default.fileExists(atPath: mnistDirectory + "/train-images-idx3-ubyte.gz") {
    var loaded = 0
    let seconds = time(repeats: 3) {
      let train = try! LabeledImages.idx(images: mnistDirectory + "/train-images-idx3-ubyte.gz", labels: mnistDirectory + "/train-labels-idx1-ubyte.gz")
      let (x, _) = Preprocessing().batch(train, indices: Array(0..<train.count), as: Float.self)
      loaded = x.count
    }
    emit("All 60,000 training images (gzipped IDX, \(mnistDirectory)) read, decompressed, checked and converted")
    emit("to one binary32 tensor of \(loaded) values (k/255 in binary64, rounded once): \(String(format: "%.3f", seconds)) s.")
  } else {
    emit("MNIST not found at \(mnistDirectory) (set PRECISIONLAB_MNIST): not measured.")
  }

}
