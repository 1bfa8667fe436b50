import FuzzSupport
import Datasets

/// Raw or gzipped IDX bytes, as the MNIST-like readers take them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
  _ = try? IDXArray(bytes: bytes, file: "input")
  return 0
}

@_cdecl("FuzzIDX_main")
public func fuzzIDXMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  fuzzMain(argc, argv, fuzzIDX)
}
