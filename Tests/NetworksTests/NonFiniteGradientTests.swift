import Datasets
import Networks
import Scalars
import Tensors
import Testing

/// A NaN or an infinity in a compared gradient makes θ count as in S, at the batch where it appears,
/// with and without the screening.
@Suite struct NonFiniteGradientTests {
  /// 32 samples of 8 features; from sample 16 on (the second batch of 16) one feature is 1e6, past
  /// binary16's largest finite value, so that batch's forward pass overflows.
  static func data() throws -> LabeledImages {
    var values: [Double] = []
    for i in 0..<32 { values += (0..<8).map { j in i >= 16 && j == 0 ? 1e6 : Double((i * 7 + j * 3) % 11) / 10 } }
    return try LabeledImages(name: "overflow", sampleShape: [8], samples: .values(values), labels: (0..<32).map { $0 % 4 }, classes: 4, file: "test")
  }

  @Test(arguments: [true, false])
  func overflowIsADifferenceAtItsBatch(screening: Bool) throws {
    var study = BifurcationStudy(
      model: .mlp(widths: [8, 6, 4]), compute: ComputeSettings(format: .binary16, accumulate: .binary32),
      feed: BatchFeed(data: try Self.data(), batchSize: 16), seed: 3)
    study.screening = screening
    let r = try study.run()
    // The first batch is finite (it would need an exact zero at a ReLU input to differ: none here).
    #expect(r.firstNonFinite == 1 && r.firstDifference == 1, "\(r)")
  }

  @Test func binary64DoesNotOverflowOnTheSameData() throws {
    let study = BifurcationStudy(
      model: .mlp(widths: [8, 6, 4]), compute: ComputeSettings(format: .binary64), feed: BatchFeed(data: try Self.data(), batchSize: 16), seed: 3)
    let r = try study.run()
    #expect(r.firstNonFinite == nil)
  }
}
