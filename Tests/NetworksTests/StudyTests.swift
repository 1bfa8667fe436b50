import Datasets
import Foundation
import Networks
import Scalars
import Testing
import TestSupport

/// Training (checkpoint and resume, divergence), the zero census and the trajectory experiment.
@Suite struct StudyTests {
  static let data = Synthetic.images(count: 256, classes: 10, shape: [1, 8, 8], seed: 3)

  func training(_ format: FloatFormat, epochs: Int, lr: Double = 0.05, checkpoint: String? = nil) -> TrainingStudy {
    var s = TrainingStudy(
      model: .mlp(widths: [64, 16, 16, 10]), compute: ComputeSettings(format: format), activation: .relu(0),
      optimizer: .sgd(momentum: 0.9, weightDecay: 5e-4), learningRate: lr, epochs: epochs,
      train: BatchFeed(data: Self.data, batchSize: 32, shuffleSeed: 9), seed: 4)
    s.test = Synthetic.images(count: 64, classes: 10, shape: [1, 8, 8], seed: 8)
    s.rootCause = true
    s.checkpoint = checkpoint
    return s
  }

  @Test(arguments: [FloatFormat.bfloat16, .binary32])
  func interruptedTrainingResumesBitForBit(format: FloatFormat) throws {
    let dir = NSTemporaryDirectory() + "precisionlab-ckpt-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let straight = try training(format, epochs: 3).run { _ in }
    // "Interrupted" after epoch 2: the checkpoint holds two epochs; a rerun to 3 epochs resumes.
    _ = try training(format, epochs: 2, checkpoint: dir + "/run.safetensors").run { _ in }
    var reported: [TrainingStudy.Epoch] = []
    let resumed = try training(format, epochs: 3, checkpoint: dir + "/run.safetensors").run { reported.append($0) }
    #expect(resumed == straight)
    #expect(reported == straight)  // the restored epochs are reported again, then the new one
    #expect(straight.count == 3 && !straight.last!.diverged)
  }

  @Test func testSetIsEvaluatedEveryNthEpochAndTheLast() throws {
    var sparse = training(.binary32, epochs: 5)
    sparse.evaluateEvery = 2
    let every = try training(.binary32, epochs: 5).run { _ in }
    let some = try sparse.run { _ in }
    #expect(some.map { $0.testAccuracy != nil } == [false, true, false, true, true])
    // Skipping an evaluation changes nothing else: it is a forward pass in evaluation mode.
    for (a, b) in zip(every, some) {
      #expect(a.trainLoss == b.trainLoss && a.kinksPerLayer == b.kinksPerLayer)
      if let accuracy = b.testAccuracy { #expect(accuracy == a.testAccuracy) }
    }
  }

  @Test func divergenceStopsTheRunCleanly() throws {
    let epochs = try training(.bfloat16, epochs: 4, lr: 1e6).run { _ in }
    #expect(epochs.last!.diverged)
    #expect(epochs.count < 4 || epochs.last!.diverged)
    #expect(!epochs.last!.trainLoss.isFinite)
  }

  /// A diverged epoch (NaN loss) is checkpointed like any other, and a rerun finds the run diverged.
  @Test func aDivergedRunIsCheckpointedAndStaysDiverged() throws {
    let dir = NSTemporaryDirectory() + "precisionlab-ckpt-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/run.safetensors"
    let first = try training(.binary32, epochs: 4, lr: 1e6, checkpoint: path).run { _ in }
    #expect(first.last!.diverged && !first.last!.trainLoss.isFinite)
    #expect(FileManager.default.fileExists(atPath: path))
    let again = try training(.binary32, epochs: 4, lr: 1e6, checkpoint: path).run { _ in }
    #expect(again.count == first.count)
    #expect(again.last!.diverged && again.last!.trainLoss.isNaN == first.last!.trainLoss.isNaN)
    #expect(again.map(\.epoch) == first.map(\.epoch))
  }

  @Test func zeroCensusClassifiesEveryZero() throws {
    let epochs = try training(.e4m3, epochs: 1).run { _ in }
    let e = epochs[0]
    let zeros = e.kinksPerLayer.reduce(0, +)
    #expect(zeros > 0)
    #expect(e.exactZeros! + e.roundingZeros! == zeros)
    #expect(e.activationInputs == [256 * 16, 256 * 16])
  }

  @Test func zeroCensusOfAConvolutionalNetwork() throws {
    var s = training(.e4m3, epochs: 1)
    s.model = .vgg([.conv(4), .pool, .conv(8), .pool], input: [1, 8, 8], classes: 10)
    s.train.maxBatches = 3
    s.test = nil
    let e = try s.run { _ in }[0]
    let zeros = e.kinksPerLayer.reduce(0, +)
    #expect(zeros > 0)
    // Every activation follows a convolution here, so every zero is classified.
    #expect(e.exactZeros! + e.roundingZeros! == zeros)
    #expect(e.activationInputs == [96 * 4 * 8 * 8, 96 * 8 * 4 * 4])
  }

  @Test func trajectoryCopiesWithTheSameAlphaNeverSeparate() throws {
    var study = TrajectoryStudy(widths: [64, 32, 10], compute: ComputeSettings(format: .bfloat16), learningRate: 0.05, feed: BatchFeed(data: Self.data, batchSize: 32), iterations: 12, seed: 1)
    study.alphas = (1, 0)
    var rows: [TrajectoryStudy.Iteration] = []
    try study.run { rows.append($0) }
    #expect(rows.count == 12)
    #expect(rows.allSatisfy { $0.distanceSameAlpha == 0 })
    // In bfloat16 the kink is hit and the alpha=1 copy separates.
    #expect(rows.contains { $0.distanceAcrossAlphas > 0 })
    #expect(rows.allSatisfy { ($0.zeros.0 > 0) == ($0.smallestPreActivation.0 == 0) })
  }
}

/// The README's study example, cut to 3 batches, on the real MNIST from ../shared.
@Suite struct ReadmeStudyExample {
  @Test(.enabled(if: Integration.runs(Integration.sharedMNIST != nil), Comment(rawValue: Integration.noMNIST)))
  func bifurcationExampleRuns() throws {
    let dataDirectory = (try #require(Integration.sharedMNIST, Comment(rawValue: Integration.noMNIST)) as NSString).deletingLastPathComponent
    let mnist = try DatasetDescriptor.mnist.load(from: dataDirectory).train
    var study = BifurcationStudy(
      model: .mlp(widths: [784, 256, 256, 256, 10]),
      compute: ComputeSettings(format: .bfloat16, accumulate: .binary32),
      feed: BatchFeed(data: mnist, batchSize: 256, maxBatches: 3), seed: 7)
    study.rootCause = true
    let run = try study.run()
    #expect(run.batchesExamined >= 1 && run.kinksPerLayer.count == 3)
    if run.firstDifference != nil { #expect(run.causes!.total > 0) }
  }
}
