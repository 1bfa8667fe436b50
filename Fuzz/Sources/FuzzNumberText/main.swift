import FuzzSupport
import Scalars

/// Number text as `calc` and every numeric option read it, in a format chosen by the first byte
/// (presets and MPFR precisions up to 4096 bits): read, then printed back as hex and shortest decimal.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNumberText(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: start, count: count)
  guard let selector = bytes.first else { return 0 }
  let names = ["binary16", "bfloat16", "binary32", "binary64", "tf32", "e4m3", "e5m2", "binary128", "mpfr:2", "mpfr:200", "mpfr:4096", "ieee:5:3"]
  guard let format = try? FloatFormat.named(names[Int(selector) % names.count]) else { return 0 }
  let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
  let calculator = FormatCalculator(format: format)
  if let value = try? calculator.read(text) {
    _ = calculator.hex(value)
    _ = calculator.shortestDecimal(value)
  }
  // The format-name parser itself.
  _ = try? FloatFormat.named(text)
  return 0
}

@_cdecl("FuzzNumberText_main")
public func fuzzNumberTextMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  fuzzMain(argc, argv, fuzzNumberText)
}
