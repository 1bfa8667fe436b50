import Scalars
import Testing

@Suite struct FormatNameTests {
  @Test func presetsAndAliases() throws {
    #expect(try FloatFormat.named("fp16") == .binary16)
    #expect(try FloatFormat.named("BF16") == .bfloat16)
    #expect(try FloatFormat.named("binary128").precision == 113)
    #expect(try FloatFormat.named("e4m3-sat").overflow == .saturate)
    #expect(try FloatFormat.named("fp80").engine == .mpfr)
    #expect(try FloatFormat.named("tf32").engine == .double)
  }

  @Test func runtimeFormats() throws {
    let m = try FloatFormat.named("mpfr:200")
    #expect(m.precision == 200 && !m.isExponentBounded && m.engine == .mpfr)
    let b = try FloatFormat.named("mpfr:24:127")
    #expect(b.emin == -126 && b.emax == 127 && b.hasSubnormals)
    let i = try FloatFormat.named("ieee:5:15")
    #expect(i.engine == .double && i.emin == -14)
    #expect(try FloatFormat.named("ieee:40:300").engine == .double)
    #expect(try FloatFormat.named("ieee:40:1023").engine == .mpfr)
    #expect(try FloatFormat.named("mpfr:10000").precision == 10000)
  }

  @Test func badNamesSayWhatIsWrong() {
    func message(_ name: String) -> String {
      do { _ = try FloatFormat.named(name); return "" } catch { return error.description }
    }
    #expect(message("fp99").contains("unknown format 'fp99'"))
    #expect(message("fp99").contains("bf16"))
    #expect(message("mpfr:1").contains("below the minimum of 2"))
    #expect(message("mpfr:99999999").contains("above the limit"))
    #expect(message("mpfr:x").contains("whole numbers"))
    #expect(message("ieee:8").contains("expected"))
    #expect(message("ieee:8:0").contains("EMAX"))
    #expect(message("mpfr:8:9:10").contains("expected"))
  }

  @Test func oneLineCustomFormat() throws {
    let fp12 = try FloatFormat.ieee("fp12", precision: 8, emax: 7)
    #expect(fp12.hex(.largestFinite) == "0x1.fep+7")  // 255
    #expect(fp12.hex(.smallestSubnormal) == "0x1p-13")
    #expect(fp12.decimal(.unitRoundoff) == "3.90625e-03")
  }
}
