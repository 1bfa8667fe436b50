import Scalars

/// The operands of every matrix product and convolution rounded to a narrower format first, as a GPU
/// computes binary32 products in TF32 mode (PyTorch's `allow_tf32`, cuBLAS/cuDNN on Ampere and later).
///
/// Numerical contract: each operand value `x` (stored in `S`) is replaced by `round_format(x)` in
/// `mode`, correctly rounded (the binary64 engine's `SmallFormatArithmetic.round`); the products of the
/// rounded values are then formed and summed as the `KernelPlan` says. Values stay in the storage
/// format: activations, gradients and parameters are not rounded, only the inputs of a product; a
/// bias is added unrounded; the other sums (bias gradients, pooling, batch-norm statistics) are not
/// products and are left alone. With TF32 (p = 11) and binary32 accumulation each product of two
/// rounded values is exact in binary32 (22 ≤ 24 bits), so only the sums round, as on tensor cores.
///
/// Which rounding hardware uses is a choice here: Ampere's conversion instruction `cvt.rna.tf32.f32`
/// rounds to nearest with ties away from zero, Hopper's `cvt.rn` ties to even, and tensor cores fed
/// binary32 directly ignore the dropped bits (toward zero).
public struct OperandRounding: Sendable, Hashable, CustomStringConvertible {
  public var format: FloatFormat
  public var mode: RoundingMode

  public init(format: FloatFormat, mode: RoundingMode = .nearestEven) {
    self.format = format
    self.mode = mode
  }

  public var description: String { "\(format.name) (\(mode.name))" }

  /// Why values stored in `storage` cannot have their operands rounded so, or nil: the format must be
  /// of the binary64 engine, narrower than the storage format and within its range (so that every
  /// rounded operand is itself a storage value), and the mode deterministic.
  public func problem(storage: FloatFormat) -> String? {
    if !format.small.isUsable || !storage.valuesAreBinary64 {
      return "operands can be rounded only between formats whose values are binary64 values (\(storage.name), \(format.name))"
    }
    if format.precision >= storage.precision {
      return "\(format.name) (\(format.precision) bits) is not narrower than the storage format \(storage.name) (\(storage.precision) bits)"
    }
    if format.emax > storage.emax || format.smallestSubnormalExponent < storage.smallestSubnormalExponent {
      return "\(format.name)'s range (exponents \(format.smallestSubnormalExponent) to \(format.emax)) exceeds \(storage.name)'s (\(storage.smallestSubnormalExponent) to \(storage.emax))"
    }
    if mode == .stochastic { return "operands are rounded deterministically; stochastic rounding is for results" }
    return nil
  }

  /// `t` with every value rounded into `format` (and stored back in `S`, exactly).
  @inlinable
  public func rounded<S: PrecisionScalar>(_ t: Tensor<S>) -> Tensor<S> {
    precondition(ScalarConversion.isExactInBinary64(S.self), "operand rounding of \(S.format.name) values is not supported")
    let c = format.small
    var out = t
    if S.self == Float.self {
      // binary32 values (the common storage): converted by the hardware, no generic conversion per value.
      out.storage.withUnsafeMutableBufferPointer { p in
        p.withMemoryRebound(to: Float.self) { f in
          if mode == .nearestEven {
            for i in f.indices { f[i] = Float(SmallFormatArithmetic.roundNearestEven(Double(f[i]), c)) }
          } else {
            for i in f.indices { f[i] = Float(SmallFormatArithmetic.fromDouble(Double(f[i]), mode, c)) }
          }
        }
      }
      return out
    }
    out.storage.withUnsafeMutableBufferPointer { p in
      if mode == .nearestEven {
        for i in p.indices {
          p[i] = ScalarConversion.convert(SmallFormatArithmetic.roundNearestEven(ScalarConversion.convert(p[i], to: Double.self), c), to: S.self)
        }
      } else {
        for i in p.indices {
          p[i] = ScalarConversion.convert(SmallFormatArithmetic.fromDouble(ScalarConversion.convert(p[i], to: Double.self), mode, c), to: S.self)
        }
      }
    }
    return out
  }
}
