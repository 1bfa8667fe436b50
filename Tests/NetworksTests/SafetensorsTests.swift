import Foundation
import Networks
import Scalars
import Tensors
import Testing

@Suite struct SafetensorsTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

  static func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("precisionlab-\(UUID().uuidString)-\(name)").path
  }

  /// A file laid out as PyTorch's `save_file(model.state_dict())` for Sequential(Linear(4,3), ReLU(),
  /// Linear(3,2)), written by numpy (Fixtures/make_pytorch_mlp.py), loads as is.
  @Test func loadsAPyTorchStateDict() throws {
    let file = try SafetensorsFile.read(from: Self.fixtures.appendingPathComponent("pytorch_mlp_4_3_2.safetensors").path)
    var model: Network<Float> = MLP.make(widths: [4, 3, 2], seed: 1)
    model.parameters = try file.parameters(names: model.parameterNames, shapes: model.parameters.map(\.shape), as: Float.self)
    #expect(model.parameters[0].doubles == (0..<12).map { Double($0) / 8 - 1 })
    #expect(model.parameters[1].doubles == [0.5, -0.25, 0.125])
    #expect(model.parameters[2].shape == [2, 3] && model.parameters[3].doubles == [1, -1])
    #expect(try file.tensor("half", as: Double.self).doubles == [1, -2.5, 65504, 0x1p-24])
    #expect(try file.tensor("brain", as: Double.self).doubles == [1, -3.140625, 0x1p-133])
  }

  static func roundTrip<T: PrecisionScalar>(_: T.Type, _ values: [Double]) throws -> (SafetensorsDType, exact: Bool, same: Bool) {
    try roundTrip(Tensor<T>(shape: [values.count], doubles: values))
  }

  static func roundTrip<T: PrecisionScalar>(_ t: Tensor<T>) throws -> (SafetensorsDType, exact: Bool, same: Bool) {
    var file = SafetensorsFile()
    file.set("x", t)
    let path = Self.temporaryPath("x.safetensors")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try file.write(to: path)
    let back = try SafetensorsFile.read(from: path)
    let u: Tensor<T> = try back.tensor("x", as: T.self)
    let same = zip(t.storage, u.storage).allSatisfy { $0.hexDescription == $1.hexDescription }
    return (back.entries["x"]!.dtype, back.metadata["precisionlab.rounded_to_f64"] == nil, same)
  }

  @Test func everyFormatRoundTrips() throws {
    let values: [Double] = [0, -0.0, 1, -1.5, 0.1, 3e-5, 448, -0.001953125, .nan, 6]
    #expect(try Self.roundTrip(Float16.self, values + [.infinity]) == (.F16, true, true))
    #expect(try Self.roundTrip(Binary16.self, values) == (.F16, true, true))
    #expect(try Self.roundTrip(BFloat16.self, values + [1e38, -.infinity]) == (.BF16, true, true))
    #expect(try Self.roundTrip(E4M3.self, values) == (.F8_E4M3, true, true))
    #expect(try Self.roundTrip(E4M3Saturating.self, values) == (.F8_E4M3, true, true))
    #expect(try Self.roundTrip(E5M2.self, values + [.infinity]) == (.F8_E5M2, true, true))
    #expect(try Self.roundTrip(FP4E2M1.self, values) == (.F8_E4M3, true, true))
    #expect(try Self.roundTrip(FP6E3M2.self, values) == (.F8_E4M3, true, true))
    #expect(try Self.roundTrip(TF32.self, values) == (.F32, true, true))
    #expect(try Self.roundTrip(Float.self, values) == (.F32, true, true))
    #expect(try Self.roundTrip(Double.self, values) == (.F64, true, true))
    let wide = try Self.roundTrip(Tensor(shape: [2], storage: [Binary128(1), Binary128(1) / Binary128(3)]))
    #expect(wide.0 == .F64 && !wide.exact && !wide.same)  // 1/3 in binary128 is not a binary64
  }

  @Test func mismatchesAndDamagedFilesNameTheProblem() throws {
    let model: Network<Float> = MLP.make(widths: [4, 5, 2], seed: 1)
    let file = try SafetensorsFile.read(from: Self.fixtures.appendingPathComponent("pytorch_mlp_4_3_2.safetensors").path)
    #expect(throws: SafetensorsError("parameter '0.weight' has shape [3, 4] in the file, [5, 4] in the model")) {
      _ = try file.parameters(names: model.parameterNames, shapes: model.parameters.map(\.shape), as: Float.self)
    }
    #expect(throws: SafetensorsError.self) {
      _ = try file.parameters(names: ["9.weight"], shapes: [[1]], as: Float.self)
    }
    let path = Self.temporaryPath("bad.safetensors")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let good = try Data(contentsOf: Self.fixtures.appendingPathComponent("pytorch_mlp_4_3_2.safetensors"))
    for (bytes, message) in [
      (good.prefix(5), "too short"), (good.prefix(40), "exceeds the file size"), (good.prefix(good.count - 3), "inconsistent with shape"),
      (Data([8, 0, 0, 0, 0, 0, 0, 0]) + Data("[1,2,3] ".utf8), "not a JSON object"),
    ] {
      try bytes.write(to: URL(fileURLWithPath: path))
      do {
        _ = try SafetensorsFile.read(from: path)
        Issue.record("\(message): read without error")
      } catch {
        #expect(error.description.contains(message) && error.description.hasPrefix(path), "\(error)")
      }
    }
  }

  @Test func hexDumpIsExact() {
    let x = MPFRFloat.withFormat(try! FloatFormat.named("mpfr:80")) { Tensor<MPFRFloat>(shape: [2], storage: [MPFRFloat(1) / MPFRFloat(3), MPFRFloat(2)]) }
    // 79 fraction bits: 19 nibbles 0101, then 010 rounded up to 011 and padded.
    #expect(SafetensorsFile.hexDump([("w", x)]) == "w 0 0x1.\(String(repeating: "5", count: 19))6p-2\nw 1 0x1p+1\n")
  }
}
