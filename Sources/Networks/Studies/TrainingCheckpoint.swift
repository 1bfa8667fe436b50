import Foundation
import Scalars
import Tensors

/// A training checkpoint in safetensors: parameters (`param.N`), batch-norm buffers (`buffer.N`),
/// master weights (`master.N`), optimiser buffers (`opt1.N`, `opt2.N`, shaped like the parameters),
/// and metadata (optimiser steps, loss scale, good and skipped steps, the epoch records as JSON).
/// Every value is stored exactly (formats within binary64 only).
enum TrainingCheckpoint {
  static func save<T: PrecisionScalar, M: PrecisionScalar>(to path: String, model: Network<T>, trainer: MixedPrecisionTrainer<M>, history: [TrainingStudy.Epoch]) throws {
    var file = SafetensorsFile()
    let parameters = model.parameters
    for (i, p) in parameters.enumerated() { file.set("param.\(i)", p) }
    for (i, b) in model.buffers.enumerated() { file.set("buffer.\(i)", b) }
    for (i, p) in trainer.master.enumerated() { file.set("master.\(i)", p) }
    let state = trainer.optimizer.state
    for (i, v) in state.first.enumerated() { file.set("opt1.\(i)", Tensor(shape: [v.count], storage: v)) }
    for (i, v) in state.second.enumerated() { file.set("opt2.\(i)", Tensor(shape: [v.count], storage: v)) }
    file.metadata["steps"] = "\(state.steps)"
    file.metadata["loss_scale"] = "\(trainer.lossScale)"
    file.metadata["good_steps"] = "\(trainer.goodSteps)"
    file.metadata["skipped_steps"] = "\(trainer.skippedSteps)"
    let json = try JSONEncoder().encode(history)
    file.metadata["history"] = String(decoding: json, as: UTF8.self)
    let temporary = path + ".partial"
    do {
      try file.write(to: temporary)
      guard rename(temporary, path) == 0 else { throw SafetensorsError("rename failed (errno \(errno))") }
    } catch {
      throw SafetensorsError("\(path): cannot write checkpoint (\(error))")
    }
  }

  static func restore<T: PrecisionScalar, M: PrecisionScalar>(from path: String, model: inout Network<T>, trainer: inout MixedPrecisionTrainer<M>) throws -> [TrainingStudy.Epoch] {
    let file = try SafetensorsFile.read(from: path)
    let shapes = model.parameters.map(\.shape)
    model.parameters = try shapes.indices.map { try file.tensor("param.\($0)", as: T.self).reshaped(shapes[$0]) }
    let bufferShapes = model.buffers.map(\.shape)
    if !bufferShapes.isEmpty {
      model.buffers = try bufferShapes.indices.map { try file.tensor("buffer.\($0)", as: T.self).reshaped(bufferShapes[$0]) }
    }
    trainer.master = try shapes.indices.map { try file.tensor("master.\($0)", as: M.self).reshaped(shapes[$0]) }
    guard let steps = Int(file.metadata["steps"] ?? ""), let scale = Double(file.metadata["loss_scale"] ?? ""),
      let good = Int(file.metadata["good_steps"] ?? ""), let skipped = Int(file.metadata["skipped_steps"] ?? ""),
      let json = file.metadata["history"]
    else { throw SafetensorsError("\(path): not a PrecisionLab training checkpoint") }
    var first: [[M]] = [], second: [[M]] = []
    if steps > 0 {
      first = try shapes.indices.map { try file.tensor("opt1.\($0)", as: M.self).storage }
      second = try shapes.indices.map { try file.tensor("opt2.\($0)", as: M.self).storage }
    }
    trainer.optimizer.state = (steps, first, second)
    trainer.lossScale = scale
    trainer.goodSteps = good
    trainer.skippedSteps = skipped
    do {
      return try JSONDecoder().decode([TrainingStudy.Epoch].self, from: Data(json.utf8))
    } catch {
      throw SafetensorsError("\(path): checkpoint history unreadable (\(error))")
    }
  }
}
