import Networks
import Scalars
import Tensors
import Testing

/// The bench's per-layer rows run every layer kind, forward and backward, at a batch of 1 (a debug build
/// is slow at the bench's shapes): in hardware binary32 and in emulated binary16 accumulating in binary32,
/// the two kinds of path the bench's four formats take.
@Suite struct LayerBenchmarkTests {
  @Test(arguments: LayerBenchmark.Kind.allCases)
  func everyKindRunsInEveryReportedFormat(kind: LayerBenchmark.Kind) throws {
    for (format, accumulate) in [(FloatFormat.binary32, AccumulationChoice.same), (.binary16, .binary32)] {
      let t = try LayerBenchmark.time(kind, batch: 1, format: format, accumulate: accumulate, repeats: 1)
      #expect(t.forward > 0 && t.forward.isFinite && t.backward > 0 && t.backward.isFinite, "\(kind.rawValue), \(format.name)")
    }
  }

  @Test func batchNormInStorageRuns() throws {
    let t = try LayerBenchmark.time(.batchNorm, batch: 1, format: .binary16, accumulate: .binary32, normalizeInStorage: true, repeats: 1)
    #expect(t.forward > 0 && t.backward > 0)
  }

  @Test func shapesAreTheDocumentedOnes() {
    #expect(LayerBenchmark.Kind.conv.inputShape(batch: 4) == [4, 64, 32, 32])
    #expect(LayerBenchmark.Kind.avgPool.inputShape(batch: 4) == [4, 512, 4, 4])
    #expect(LayerBenchmark.Kind.dropout.inputShape(batch: 4) == [4, 65536])
    #expect(LayerBenchmark.Kind.linear.inputShape(batch: 4) == [4, 4096])
  }
}
