import CMPFR

/// An emulated format of the MPFR engine with a fixed format: binary64 (`Binary64MPFR`), x87 extended
/// (`X87Extended`), binary128 (`Binary128`) or your own `FormatSpecification` of any precision.
///
/// Every operation, `exp` and `log` included, is correctly rounded in the thread's rounding mode with
/// the format's exponent range, subnormals and overflow rule. Values live in MPFR variables on the heap:
/// arithmetic operators allocate their result; `+=`, `multiplyAccumulate` and
/// `fusedMultiplyAccumulate` on a uniquely held accumulator do not.
public struct WideFloat<Spec: FormatSpecification>: MPFRBackedScalar {
  public var number: MPFRNumber

  @inlinable public init(number: MPFRNumber) { self.number = number }
  @inlinable public static var format: FloatFormat { Spec.format }
  @inlinable public static var newValueConstants: MPFRFormatConstants { Spec.format.mpfr }

  /// Correctly rounds decimal or hexadecimal text (see `NumberText`).
  public init(text: String) throws(NumberTextError) {
    number = try MPFRNumber(text: text, Self.newValueConstants, RoundingEnvironment.mode)
  }
}
