import Scalars
import Tensors

/// PyTorch's default initialisation, drawn from a seeded, documented generator.
///
/// Linear and Conv2d layers: weight and bias uniform in ±1/√fan_in (PyTorch's `kaiming_uniform_(a=√5)`
/// and its bias rule). Draw order: layer by layer, the weight row-major, then the bias. So every format
/// of an experiment starts from the same θ (exactly, for formats that hold binary32; correctly rounded
/// from it otherwise). Two generators (`Draws`):
///
/// - `precisionlab`: each draw is the binary64 value `bound × (2u − 1)` with u = (SplitMix64 output
///   >> 11) × 2⁻⁵³, rounded to nearest even into the initialisation format (binary32 by default), then
///   to nearest even into the run's format: a full 24-bit significand.
/// - `torch`: PyTorch's own θ, bit for bit: the seed goes to MT19937 as `torch.manual_seed` does, and
///   each binary32 draw is PyTorch's CPU `uniform_`: u = (32-bit output & (2²⁴ − 1)) × 2⁻²⁴, then
///   `fma(u, hi − lo, lo)` in binary32 with lo, hi the bounds rounded to binary32 and the weight bound
///   formed as PyTorch forms it in binary64, √3 · (√(2/6) / √fan_in). So every weight and bias is a
///   multiple of 2⁻²⁴ · (hi − lo): a coarser grid than `precisionlab`'s. (Checked against PyTorch 2.13
///   on CPUs with FMA, where its kernel fuses; a plain multiply then add matched half the draws.)
public struct Initializer: Sendable {
  /// Which generator draws θ.
  public enum Draws: String, Sendable, Hashable, CaseIterable {
    case precisionlab, torch
  }

  /// PrecisionLab's draws (SplitMix64 from the seed).
  public var generator: SplitMix64
  public let format: FloatFormat
  public let draws: Draws
  private var twister: MersenneTwister?

  /// - Precondition: the format is one of the binary64 engine's; binary32 with `torch` draws.
  public init(seed: UInt64, format: FloatFormat = .binary32, draws: Draws = .precisionlab) {
    precondition(format.engine == .double, "initialisation format must be one of the binary64 engine's")
    precondition(draws == .precisionlab || format == .binary32, "PyTorch draws binary32")
    self.generator = SplitMix64(seed: seed)
    self.format = format
    self.draws = draws
    self.twister = draws == .torch ? MersenneTwister(seed: seed) : nil
  }

  /// The bound of a weight's `kaiming_uniform_(a=√5)` for `fanIn` inputs: 1/√fan_in, formed as PyTorch
  /// forms it (√3 · gain/√fan_in in binary64, which may differ from 1/√fan_in in the last bit) with
  /// `torch` draws.
  public func weightBound(fanIn: Int) -> Double {
    let fan = Double(fanIn).squareRoot()
    return draws == .torch ? 3.0.squareRoot() * ((2.0 / 6.0).squareRoot() / fan) : 1 / fan
  }

  public mutating func uniformUnit() -> Double { generator.unit() }

  /// One draw uniform in ±bound, rounded into the initialisation format (PyTorch's binary32 draw with
  /// `torch` draws).
  public mutating func uniform(bound: Double) -> Double {
    if var generator = twister {
      let low = Float(-bound), high = Float(bound)
      let u = Float(generator.next() & 0xFF_FFFF) * 0x1p-24
      twister = generator
      return Double(low.addingProduct(u, high - low))
    }
    return SmallFormatArithmetic.roundNearestEven(bound * (2 * uniformUnit() - 1), format.small)
  }

  /// A tensor of draws uniform in ±bound, converted to nearest into `T`.
  public mutating func uniformTensor<T: PrecisionScalar>(_ shape: [Int], bound: Double, as _: T.Type) -> Tensor<T> {
    let values = (0..<shape.reduce(1, *)).map { _ in uniform(bound: bound) }
    return RoundingEnvironment.with(.nearestEven) { Tensor(shape: shape, doubles: values) }
  }

  /// PyTorch's default Linear(inputs, outputs).
  public mutating func linear<T: PrecisionScalar>(inputs: Int, outputs: Int, as _: T.Type) -> Linear<T> {
    let weight = uniformTensor([outputs, inputs], bound: weightBound(fanIn: inputs), as: T.self)
    let bias = uniformTensor([outputs], bound: 1 / Double(inputs).squareRoot(), as: T.self)
    return Linear(weight: weight, bias: bias)
  }
}

extension Initializer {
  /// One standard normal draw in binary64 (Box–Muller on two uniform draws, with the platform's log
  /// and cos), rounded into the initialisation format after scaling by `std`.
  /// - Precondition: `precisionlab` draws (PyTorch's normal sampler is not reproduced; `ModelSpec`
  ///   refuses the models that would need it).
  public mutating func normal(std: Double) -> Double {
    precondition(draws == .precisionlab, "normal draws with PyTorch's generator are not reproduced")
    let u1 = 1 - uniformUnit()  // (0, 1]
    let u2 = uniformUnit()
    let z = (-2 * libmLog(u1)).squareRoot() * libmCos(2 * Double.pi * u2)
    return SmallFormatArithmetic.roundNearestEven(std * z, format.small)
  }

  /// PyTorch's default Conv2d(in, out, k): weight and bias uniform in ±1/√(in·k·k).
  public mutating func conv2d<T: PrecisionScalar>(
    inputs: Int, outputs: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true, as _: T.Type
  ) -> Conv2d<T> {
    let fanIn = inputs * kernel * kernel
    let weight = uniformTensor([outputs, inputs, kernel, kernel], bound: weightBound(fanIn: fanIn), as: T.self)
    let b = bias ? uniformTensor([outputs], bound: 1 / Double(fanIn).squareRoot(), as: T.self) : nil
    return Conv2d(weight: weight, bias: b, stride: stride, padding: padding)
  }

  /// `kaiming_normal_(mode="fan_out", nonlinearity="relu")`: N(0, 2/(out·k·k)), no bias (ResNet).
  public mutating func kaimingNormalConv2d<T: PrecisionScalar>(
    inputs: Int, outputs: Int, kernel: Int, stride: Int = 1, padding: Int = 0, as _: T.Type
  ) -> Conv2d<T> {
    let std = (2 / Double(outputs * kernel * kernel)).squareRoot()
    let values = (0..<(outputs * inputs * kernel * kernel)).map { _ in normal(std: std) }
    let weight = RoundingEnvironment.with(.nearestEven) { Tensor<T>(shape: [outputs, inputs, kernel, kernel], doubles: values) }
    return Conv2d(weight: weight, bias: nil, stride: stride, padding: padding)
  }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func libmLog(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) func libmCos(_ x: Double) -> Double { Glibc.cos(x) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func libmLog(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) func libmCos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
