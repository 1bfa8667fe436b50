import FuzzSupport
import Datasets

/// A CIFAR binary batch file (records of a label byte and 3×32×32 pixels).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCIFAR(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let path = InputFile.write(UnsafeRawBufferPointer(start: start, count: count), name: "batch.bin")
  _ = try? LabeledImages.cifar(batches: [path])
  return 0
}

@_cdecl("FuzzCIFAR_main")
public func fuzzCIFARMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  fuzzMain(argc, argv, fuzzCIFAR)
}
