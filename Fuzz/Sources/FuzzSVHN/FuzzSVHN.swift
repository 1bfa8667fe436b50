import FuzzSupport
import Datasets

/// An SVHN `.mat` file (MATLAB 5: header, compressed and plain elements, arrays X and y).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSVHN(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let path = InputFile.write(UnsafeRawBufferPointer(start: start, count: count), name: "svhn.mat")
  _ = try? LabeledImages.svhn(path)
  return 0
}

@_cdecl("FuzzSVHN_main")
public func fuzzSVHNMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  fuzzMain(argc, argv, fuzzSVHN)
}
