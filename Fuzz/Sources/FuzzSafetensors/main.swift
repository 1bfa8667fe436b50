import FuzzSupport
import Foundation
import Networks
import Scalars

/// A safetensors file as `grad --inputs/--parameters` and training checkpoints read it: the header,
/// every tensor converted to binary32 and bfloat16, every integer tensor as labels.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let path = InputFile.write(UnsafeRawBufferPointer(start: start, count: count), name: "file.safetensors")
  guard let file = try? SafetensorsFile.read(from: path) else { return 0 }
  for name in file.entries.keys.sorted() {
    _ = try? file.tensor(name, as: Float.self)
    _ = try? file.tensor(name, as: BFloat16.self)
    _ = try? file.labels(name)
  }
  return 0
}

@_cdecl("FuzzSafetensors_main")
public func fuzzSafetensorsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  fuzzMain(argc, argv, fuzzSafetensors)
}
