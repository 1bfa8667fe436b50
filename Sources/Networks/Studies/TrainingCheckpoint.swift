import Foundation
import Scalars
import Tensors

/// A training checkpoint in safetensors: parameters (`param.N`), batch-norm buffers (`buffer.N`),
/// master weights (`master.N`), optimiser buffers (`opt1.N`, `opt2.N`, shaped like the parameters),
/// and metadata (optimiser steps, loss scale, good and skipped steps, the epoch records as JSON).
/// Every value is stored exactly (formats within binary64 only). The epoch records of a diverged run
/// hold a NaN or infinite loss: JSON has no such numbers, so they are written as the strings "nan",
/// "inf" and "-inf" (a NaN's sign and payload are not kept).
enum TrainingCheckpoint {
  private static let nonFinite = (positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

  static func save<T: PrecisionScalar>(to path: String, model: Network<T>, trainer: any TrainingStep<T>, history: [TrainingStudy.Epoch]) throws {
    var file = SafetensorsFile()
    for (i, p) in model.parameters.enumerated() { file.set("param.\(i)", p) }
    for (i, b) in model.buffers.enumerated() { file.set("buffer.\(i)", b) }
    trainer.write(into: &file)
    let encoder = JSONEncoder()
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity, nan: nonFinite.nan)
    let json = try encoder.encode(history)
    file.metadata["history"] = String(decoding: json, as: UTF8.self)
    let temporary = path + ".partial"
    do {
      try file.write(to: temporary)
      guard rename(temporary, path) == 0 else { throw SafetensorsError("rename failed (errno \(errno))") }
    } catch {
      throw SafetensorsError("\(path): cannot write checkpoint (\(error))")
    }
  }

  static func restore<T: PrecisionScalar>(from path: String, model: inout Network<T>, trainer: inout any TrainingStep<T>) throws -> [TrainingStudy.Epoch] {
    let file = try SafetensorsFile.read(from: path)
    let shapes = model.parameters.map(\.shape)
    // Shapes are checked against the model's (a checkpoint of another model is named, not reshaped).
    model.parameters = try file.parameters(names: shapes.indices.map { "param.\($0)" }, shapes: shapes, as: T.self)
    let bufferShapes = model.buffers.map(\.shape)
    if !bufferShapes.isEmpty {
      model.buffers = try file.parameters(names: bufferShapes.indices.map { "buffer.\($0)" }, shapes: bufferShapes, as: T.self)
    }
    try trainer.read(from: file, shapes: shapes, path: path)
    guard let json = file.metadata["history"] else { throw SafetensorsError("\(path): not a PrecisionLab training checkpoint") }
    do {
      let decoder = JSONDecoder()
      decoder.nonConformingFloatDecodingStrategy = .convertFromString(
        positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity, nan: nonFinite.nan)
      return try decoder.decode([TrainingStudy.Epoch].self, from: Data(json.utf8))
    } catch {
      throw SafetensorsError("\(path): checkpoint history unreadable (\(error))")
    }
  }
}
