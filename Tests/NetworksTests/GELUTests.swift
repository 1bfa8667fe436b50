import Foundation
@testable import Networks
import Scalars
import Tensors
import Testing

/// GELU against two oracles in Fixtures/gelu-torch.json (make_gelu_fixture.py): x·Φ(x) and Φ(x) + x·φ(x)
/// evaluated by mpmath at 60 digits, and PyTorch 2.13's CPU forward and backward in binary32 and binary64;
/// and a GELU network's gradients against central finite differences in binary64.
@Suite struct GELUTests {
  struct Case: Decodable {
    let format: String
    let x, y, grad_out, grad_in: [UInt64]
    let exact_y, exact_slope: [String?]
  }
  struct Fixture: Decodable { let cases: [Case] }

  static let fixture: Fixture = try! JSONDecoder().decode(
    Fixture.self,
    from: Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/gelu-torch.json")))

  static func ulps<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> Double {
    a == b || (a.isNaN && b.isNaN) ? 0 : Double(abs(a - b) / max(b.magnitude.ulp, T.leastNonzeroMagnitude))
  }

  /// Φ(x) + |x|·φ(x): the size of the two terms of GELU'(x), whose sum cancels near GELU's minimum
  /// (x ≈ −0.75), so an error there is measured against the terms rather than the small result.
  static func slopeTerms(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) + abs(x) * exp(-x * x / 2) / (2 * Double.pi).squareRoot() }

  /// Units in the last place of `scale`'s binade that separate `a` and `b`.
  static func units<T: BinaryFloatingPoint>(_ a: T, _ b: T, scale: T) -> Double {
    a == b || (a.isNaN && b.isNaN) ? 0 : Double(abs(a - b) / max(scale.magnitude.ulp, T.leastNonzeroMagnitude))
  }

  /// Whether `exact` lies within 2⁻⁴⁵ (relative) of a midpoint between two binary32 numbers: there the
  /// binary64 evaluation decides the rounding (a double rounding the contract allows).
  static func nearBinary32Tie(_ exact: Double) -> Bool {
    let f = Float(exact)
    return [f.nextUp, f.nextDown].contains { n in abs(exact - (Double(f) + Double(n)) / 2) <= abs(exact) * 0x1p-45 }
  }

  /// Each binary32 output and derivative is the correctly rounded exact value, except where the exact
  /// value sits on a rounding boundary within binary64's error (the fixture's two: GELU(±2⁻¹⁴⁹), just
  /// above half the smallest subnormal, which binary64 rounds onto the tie); in binary64 within 4 units in
  /// the last place, the far negative tail included (the derivative's near its root at x ≈ −0.75 within 4
  /// units of its terms, which cancel there).
  @Test(arguments: ["binary32", "binary64"]) func matchesTheExactValues(format: String) throws {
    let c = try #require(Self.fixture.cases.first { $0.format == format })
    func check<T: PrecisionScalar & BinaryFloatingPoint>(_: T.Type, bits: (UInt64) -> T, parse: (String) -> T?, tolerance: Double) throws {
      let x = Tensor<T>(shape: [c.x.count], storage: c.x.map(bits))
      let y = GELU().forward(x).storage
      let slope = GELU().backward(x, Tensor<T>(shape: [c.x.count], storage: Array(repeating: 1, count: c.x.count))).storage
      var (checked, ties) = (0, 0)
      for i in c.x.indices {
        guard let exactY = c.exact_y[i], let exactSlope = c.exact_slope[i] else { continue }
        checked += 1
        for (ours, exact, what) in [(y[i], exactY, "GELU"), (slope[i], exactSlope, "GELU'")] {
          if T.self == Float.self && Self.nearBinary32Tie(Double(exact)!) {
            ties += 1
            continue
          }
          let want = try #require(parse(exact))
          let scale = what == "GELU" ? want : max(want.magnitude, T(Self.slopeTerms(x.storage[i].doubleValue)))
          #expect(Self.units(ours, want, scale: scale) <= tolerance, "\(format) \(what)(\(x.storage[i])) = \(ours), exact \(exact)")
        }
      }
      #expect(checked == c.x.count - 2)  // every input but ±∞
      #expect(ties <= 2, "\(ties) values on a binary32 rounding boundary")
    }
    if format == "binary32" {
      try check(Float.self, bits: { Float(bitPattern: UInt32($0)) }, parse: Float.init, tolerance: 0)
    } else {
      try check(Double.self, bits: Double.init(bitPattern:), parse: Double.init, tolerance: 4)
    }
  }

  /// PyTorch's CPU GELU computes 0.5·x·(1 + erf(x/√2)) and its derivative in the storage format: for
  /// x ≥ 0 it agrees with ours within 2 units in the last place (its erf against binary64's, then the
  /// product); for negative x, 1 + erf cancels and PyTorch's value drifts (about 4% off at x = −5 in
  /// binary32). Wherever the two differ by more than 2 units (of the derivative's terms for dx), ours is
  /// the nearer to the exact value. At ±∞ both give the formula's values (NaN from ∞·0).
  @Test(arguments: ["binary32", "binary64"]) func againstPyTorch(format: String) throws {
    let c = try #require(Self.fixture.cases.first { $0.format == format })
    func check<T: PrecisionScalar & BinaryFloatingPoint>(_: T.Type, bits: (UInt64) -> T) throws {
      let x = Tensor<T>(shape: [c.x.count], storage: c.x.map(bits))
      let g = Tensor<T>(shape: [c.x.count], storage: c.grad_out.map(bits))
      let y = GELU().forward(x).storage, dx = GELU().backward(x, g).storage
      var apart = 0
      for i in c.x.indices {
        let (theirY, theirDx) = (bits(c.y[i]), bits(c.grad_in[i]))
        guard let exactY = c.exact_y[i].flatMap(Double.init), let exactSlope = c.exact_slope[i].flatMap(Double.init) else {
          #expect(y[i].isNaN == theirY.isNaN && (y[i].isNaN || y[i] == theirY), "\(format) GELU(\(x.storage[i])): \(y[i]) against \(theirY)")
          #expect(dx[i].isNaN == theirDx.isNaN, "\(format) GELU' at \(x.storage[i]): \(dx[i]) against \(theirDx)")
          continue
        }
        let exactDx = exactSlope * g.storage[i].doubleValue
        let dxScale = max(dx[i].magnitude, T(Self.slopeTerms(x.storage[i].doubleValue) * abs(g.storage[i].doubleValue)))
        for (ours, theirs, exact, what, scale) in [(y[i], theirY, exactY, "GELU", theirY), (dx[i], theirDx, exactDx, "dx", dxScale)] {
          guard Self.units(ours, theirs, scale: scale) > 2 else { continue }
          apart += 1
          #expect(x.storage[i] < 0, "\(format) \(what) at \(x.storage[i]): \(ours) against PyTorch's \(theirs)")
          #expect(abs(ours.doubleValue - exact) < abs(theirs.doubleValue - exact),
                  "\(format) \(what) at \(x.storage[i]): ours \(ours), PyTorch's \(theirs), exact \(exact)")
        }
      }
      #expect(apart > 0, "the fixture's negative inputs should show PyTorch's cancellation")
    }
    if format == "binary32" {
      try check(Float.self, bits: { Float(bitPattern: UInt32($0)) })
    } else {
      try check(Double.self, bits: Double.init(bitPattern:))
    }
  }

  /// A GELU MLP's gradients in binary64 against central finite differences (h = 2⁻²⁰; GELU is evaluated in
  /// binary64, so a binary64 oracle is the fair one).
  @Test func networkMatchesFiniteDifferences() {
    let widths = [4, 3, 3]
    var net: Network<Double> = ModelSpec.mlp(widths: widths).make(activation: .gelu(GELU()), seed: 3)
    let x = Tensor<Double>(shape: [3, 4], doubles: BackpropTests.inputs(3, 4, seed: 4))
    let labels = [0, 1, 2]
    let plan = KernelPlan()
    let (_, gradients, kinks) = net.lossAndGradients(x, labels: labels, plan)
    #expect(kinks.isEmpty, "GELU has no kinks to count")
    let worst = BackpropTests.worstFiniteDifference(net, x, labels: labels, gradients: gradients, h: 0x1p-20)
    #expect(worst < 1e-8, "largest difference \(worst)")
    #expect(gradients.flatMap(\.storage).map(abs).max()! > 1e-3)
  }

  /// `--activation gelu` builds GELU layers where the others build activations, and the kink studies
  /// refuse it (ExperimentDriverTests checks the message).
  @Test func spelling() {
    #expect(ActivationKind(name: "gelu") == .gelu)
    #expect(ActivationKind.gelu.description == "gelu")
    #expect(!ActivationKind.gelu.hasKinks)
    #expect(ActivationKind.gelu.activation(kink: 0, rule: .scale) == nil)
    guard case .gelu = ActivationKind.gelu.layer(kink: 0, rule: .scale) else { Issue.record("not a GELU layer"); return }
    let net: Network<Float> = ModelSpec.mlp(widths: [4, 3, 2]).make(activation: ActivationKind.gelu.layer(kink: 0, rule: .scale), seed: 1)
    #expect(net.layers.contains { if case .gelu = $0 { true } else { false } })
    #expect(!net.layers.contains { if case .activation = $0 { true } else { false } })
  }
}
