import FuzzSupport
import Datasets

/// A download: gzip decompression under a cap, then the tar reader on the result (or on the raw bytes).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchive(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
  if Gzip.isCompressed(bytes) {
    if let expanded = try? Gzip.decompress(bytes, file: "input", limit: 1 << 24) { _ = try? Tar.entries(expanded, file: "input") }
  } else {
    _ = try? Tar.entries(bytes, file: "input")
  }
  return 0
}

@_cdecl("FuzzArchive_main")
public func fuzzArchiveMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  fuzzMain(argc, argv, fuzzArchive)
}
