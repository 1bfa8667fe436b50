import CFuzzer

/// What a fuzz target's entry point does: hands `callback` (the target's `LLVMFuzzerTestOneInput`)
/// to libFuzzer's driver with the command line, and returns its exit status.
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
  var count = argc
  var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
  return LLVMFuzzerRunDriver(&count, &arguments, callback)
}
