import Foundation
import Networks
import Testing

/// Loss scaling: the dynamic rule against a trace PyTorch's GradScaler wrote (Fixtures/make_gradscaler_trace.py,
/// scale per step and skipped steps on a recorded sequence of gradient norms), and the option's spellings.
@Suite struct LossScalingTests {
  static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/gradscaler-trace.json")

  @Test func dynamicScalingEqualsPyTorchsGradScaler() throws {
    let data = try Data(contentsOf: Self.fixture)
    let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    // Numbers are strings in the file (Python's round-trip spelling): read exactly.
    func numbers(_ any: Any?) throws -> [Double] { try #require((any as? [String])?.compactMap(Double.init)) }
    func number(_ any: Any?) throws -> Double { try #require((any as? String).flatMap(Double.init)) }
    let norms = try numbers(root["norms"])
    let traces = try #require(root["traces"] as? [[String: Any]])
    #expect(traces.count == 3 && norms.count == 80)
    for trace in traces {
      let config = try #require(trace["config"] as? [String: String])
      let scales = try numbers(trace["scales"]), skipped = try #require(trace["skipped"] as? [Bool])
      var scaling = LossScaling(
        dynamic: try number(config["init_scale"]), growthFactor: try number(config["growth_factor"]),
        backoffFactor: try number(config["backoff_factor"]), growthInterval: try #require(config["growth_interval"].flatMap { Int($0) }))
      var skips = 0
      for (t, norm) in norms.enumerated() {
        #expect(scaling.scale == scales[t], "\(config) step \(t)")
        // The binary32 product rounded to binary16 overflows from 65520 up (65504 is the largest finite value,
        // 65520 the tie that rounds to even, away from it).
        let finite = Float(norm) * Float(scaling.scale) < 65520
        #expect(!finite == skipped[t], "\(config) step \(t)")
        if !scaling.update(finite: finite) { skips += 1 }
      }
      #expect(scaling.scale == (try number(trace["final"])), "\(config)")
      #expect(skips == skipped.filter { $0 }.count && skips > 5, "\(config): the trace must skip steps to test the backoff")
    }
  }

  @Test func spellings() throws {
    #expect(try LossScaling.parse("dynamic").get() == .gradScaler)
    #expect(try LossScaling.parse("dynamic:65536:2:0.5:2000").get().description == "dynamic")
    #expect(try LossScaling.parse("dynamic:1024:3:0.3:2").get().description == "dynamic:1024:3:0.3:2")
    let fixed = try LossScaling.parse("256").get()
    #expect(!fixed.dynamic && fixed.scale == 256 && fixed.description == "256")
    var copy = fixed
    let taken = copy.update(finite: false)
    #expect(!taken && copy.scale == 256, "a fixed scale skips an overflowing step and stays")
    for bad in ["0", "-2", "inf", "nan", "dynamic:1e39:2:0.5:10", "dynamic:1024:1:0.5:10", "dynamic:1024:2:1.5:10", "dynamic:1024:2:0.5:0", "dynamic:1", "x"] {
      #expect(throws: LossScalingError.self, "\(bad)") { try LossScaling.parse(bad).get() }
    }
  }

  /// Growth that would overflow binary32 is not taken (PyTorch keeps the old scale), and the tracker restarts.
  @Test func growthBeyondBinary32IsNotTaken() {
    var scaling = LossScaling(dynamic: 2e38, growthFactor: 2, backoffFactor: 0.5, growthInterval: 1)
    let before = scaling.scale
    let taken = scaling.update(finite: true)
    #expect(taken)
    #expect(scaling.scale == before && scaling.growthTracker == 0)
  }
}
