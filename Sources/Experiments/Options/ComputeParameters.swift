import Datasets
import Foundation
import Networks
import Scalars
import Tensors

/// How a computation rounds: storage format, accumulation, rounding mode and its seed, summation
/// order, fusion. Spelled once for every computing command.
public enum ComputeParameters {
  public static let all: [Parameter] = [
    .format(default: "binary32", help: "Storage format (see `precisionlab formats`)."),
    Parameter(
      "accumulate", default: "auto",
      help: "Accumulation format of the kernels. auto: what hardware does (PyTorch's CPU kernels, GPU tensor cores): formats narrower than binary32 (binary16, bfloat16, tf32, the FP8 formats, custom formats below 24 bits) accumulate in binary32 and round each result once into storage; binary32 and wider formats accumulate in themselves. same: every product and partial sum rounded into the storage format. fp32, fp64: accumulate there. Results name the accumulation used, never auto.",
      completions: ["auto", "same", "fp32", "fp64"]
    ) { v in
      switch v {
      case "auto": return .success("auto")
      case "same": return .success("same")
      case "fp32", "binary32": return .success("binary32")
      case "fp64", "binary64": return .success("binary64")
      default: return .failure(ParameterError("--accumulate: unknown value '\(v)'; valid: auto, same, fp32, fp64 (auto: binary32 for formats narrower than binary32; same: the storage format)"))
      }
    },
    Parameter("rounding", default: "nearest-even", help: "Rounding mode.", completions: RoundingMode.allCases.map(\.name)) { v in
      RoundingMode(name: v).map { .success($0.name) }
        ?? .failure(ParameterError("--rounding: unknown mode '\(v)'; valid: \(RoundingMode.allCases.map(\.name).joined(separator: ", "))"))
    },
    Parameter("rounding-seed", default: "seed", help: "Seed of the stochastic-rounding streams (seed: the run's seed).") { v in
      if v == "seed" { return .success(v) }
      guard let n = UInt64(v) else { return .failure(ParameterError("--rounding-seed: expected a non-negative integer or 'seed', got '\(v)'")) }
      return .success("\(n)")
    },
    Parameter(
      "summation", default: "sequential",
      help: "Summation order: sequential, pairwise, kahan (each product rounded, then Kahan's compensated sum), neumaier (Neumaier's variant, the compensation added at the end), blocked:N, split:S (split-K: S slices of the products, each summed from zero, then added in order), lanes:L (L interleaved accumulators added by halving), tc:G:W[:rz|rn][:products-first] (a GPU tensor core: G products per fused group added to the binary32 accumulator, every term truncated to W bits below the largest, the group's sum rounded toward zero or to nearest; binary32 accumulation) or a published model tc:v100, tc:a100, tc:a100-tf32, tc:rtx5090-fp8, tc:h100-fp8, blas (the BLAS library's own order; binary32/64), tree:FILE (a library's trees per product shape, read by scripts/reveal-torch-gemm.py: dense layers compute what that library computes; MLPs only), or pytorch-cpu (the trees `precisionlab arithmetic reveal` stored for this CPU in $PRECISIONLAB_DATA/arithmetic (else ./data/arithmetic), else experiments/arithmetic; results record the tree:FILE it found).",
      completions: ["sequential", "pairwise", "kahan", "neumaier", "blocked:32", "split:4", "lanes:8", "tc:v100", "tc:a100", "tc:a100-tf32", "tc:rtx5090-fp8", "tc:h100-fp8", "blas", "tree:", "pytorch-cpu"]
    ) { v in
      if v == "pytorch-cpu" {
        let directories = [(resolveDataDirectory(nil) as NSString).appendingPathComponent("arithmetic"), "experiments/arithmetic"]
        guard let path = ProductTreesFile.stored(cpu: Provenance.cpu, in: directories) else {
          return .failure(ParameterError(
            "--summation pytorch-cpu: no PyTorch-CPU trees for this CPU (\(Provenance.cpu), one thread) in \(directories.joined(separator: " or ")); read them with `precisionlab arithmetic reveal --python PYTHON`"))
        }
        return .success("tree:\(path)")
      }
      if v.hasPrefix("tree:") {
        do throws(ProductTreesFile.ReadError) { _ = try ProductTreesFile.load(String(v.dropFirst(5))) } catch {
          return .failure(ParameterError(error.description))
        }
        return .success(v)
      }
      return KernelOptions.SummationOrder(name: v).map { .success($0.description) }
        ?? .failure(ParameterError("--summation: unknown order '\(v)'; valid: sequential, pairwise, kahan, neumaier, blocked:N (N ≥ 1), split:S (S ≥ 1), lanes:L (L a power of two, 2 to 64), tc:G:W[:rz|rn][:products-first] (G 1 to 64, W 2 to 46), tc:PRESET (\(MultiTermAccumulation.presets.map(\.name).joined(separator: ", "))), blas, tree:FILE, pytorch-cpu"))
    },
    .flag("fused", default: false, help: "Fused multiply-add in the kernels (one rounding per term)."),
    Parameter(
      "operands", default: "same",
      help: "Round the operands of every matrix product and convolution to this narrower format first, as GPUs do in TF32 mode (--format binary32 --operands tf32: PyTorch's allow_tf32 on Ampere); values stay in the storage format. same: no rounding.",
      completions: ["same", "tf32", "bfloat16", "binary16"]
    ) { v in
      if v == "same" { return .success(v) }
      guard let f = try? FloatFormat.named(v) else { return .failure(ParameterError("--operands: unknown format '\(v)'; valid: same or a format (see `precisionlab formats`)")) }
      return .success(f.name)
    }.added(withLegacyValue: "same"),
    Parameter(
      "batch-norm-arithmetic", default: "accumulation",
      help: "Batch norm's arithmetic when the accumulation format is wider than storage: accumulation (statistics, normalisation and backward pass computed there, each result rounded once into storage, as GPU kernels treat half-precision data) or storage (every operation rounded into the storage format, PrecisionLab before 0.8). Where the two coincide results say storage.",
      completions: ["accumulation", "storage"]
    ) { v in
      ["accumulation", "storage"].contains(v) ? .success(v) : .failure(ParameterError("--batch-norm-arithmetic: unknown value '\(v)'; valid: accumulation, storage"))
    }.added(withLegacyValue: "storage"),
    Parameter(
      "operand-rounding", default: "nearest-even",
      help: "How --operands rounds: nearest-even (Hopper's cvt.rn), nearest-away (Ampere's cvt.rna.tf32.f32) or toward-zero (dropped bits ignored).",
      completions: ["nearest-even", "nearest-away", "toward-zero"]
    ) { v in
      guard let mode = RoundingMode(name: v), mode != .stochastic else {
        return .failure(ParameterError("--operand-rounding: unknown mode '\(v)'; valid: \(RoundingMode.allCases.filter { $0 != .stochastic }.map(\.name).joined(separator: ", "))"))
      }
      return .success(mode.name)
    }.added(withLegacyValue: "nearest-even"),
    Parameter(
      "mx", default: "none",
      help: "OCP MX block scaling of the operands of dense layers' products and convolutions (issue 34): mxfp8-e4m3, mxfp8-e5m2, mxfp6-e2m3, mxfp6-e3m2, mxfp4, mxint8, each optionally :BLOCK (default 32) and :ties-away (microxcaling's rounding; default ties to even, as hardware). Blocks run along each product's reduction dimension (dense: forward X·Wᵀ along the inputs, dX = dY·W along the outputs, dW = dYᵀ·X along the batch; convolutions as microxcaling's mx.Conv2d: the channels, the output channels, the batch), share a power-of-two scale 2^(⌊log₂ max|v|⌋ − emax), and each value becomes an element (saturating); binary32 or binary64 storage. none: no MX.",
      completions: ["none"] + MXScaling.Element.allCases.map(\.name)
    ) { v in
      if v == "none" { return .success(v) }
      guard let mx = MXScaling(name: v) else {
        return .failure(ParameterError("--mx: unknown value '\(v)'; valid: none, \(MXScaling.Element.allCases.map(\.name).joined(separator: ", ")), each optionally :BLOCK (1 to 1024) and :ties-away"))
      }
      return .success(mx.description)
    }.added(withLegacyValue: "none"),
    Parameter(
      "policy", default: "none",
      help: "Mixed-precision policy per operation (issue 34; docs/PRECISION-POLICIES.md): autocast-cuda-fp16, autocast-cuda-bf16, autocast-cpu-bf16, autocast-cpu-fp16 (PyTorch autocast: linear and convolution layers take their inputs, weights and bias in the low format, accumulate in binary32 and round the result into it; batch norm, activations, pooling and residual additions run in their input's format; loss and softmax, master weights and optimizer state in binary32; gradients in the format of what they differentiate), fp8-training (MXFP8 E4M3 product operands, results in bfloat16), or lower:FORMAT (products in FORMAT, the rest as autocast); each optionally :ends-fp32 (first and last dense or convolution layer in binary32) and :norm-fp32 (batch norm in binary32). Needs --format binary32. none: every operation in the storage format.",
      completions: ["none"] + PrecisionPolicy.presets.map(\.preset) + ["lower:"]
    ) { v in
      if v == "none" { return .success(v) }
      guard let policy = PrecisionPolicy(name: v) else {
        return .failure(ParameterError("--policy: unknown policy '\(v)'; valid: none, \(PrecisionPolicy.presets.map(\.preset).joined(separator: ", ")), lower:FORMAT, each optionally :ends-fp32 and :norm-fp32"))
      }
      return .success(policy.description)
    }.added(withLegacyValue: "none"),
    Parameter.choice(
      "bias-order", ["last", "first"], default: "last",
      help: "Where a layer's bias enters its sums of products: last (added after the sum) or first (the sum starts at it, as BLAS's C := A·B + C with C holding the bias, PyTorch's addmm; with --summation blocked:KC the running total starts at the bias and each block of KC products, summed from zero, is added to it: BLAS's K-blocking). Pairwise sums are the same either way; not with --summation blas."
    ).added(withLegacyValue: "last"),
  ]

  /// Replaces `auto` by the accumulation it means for the values' format
  /// (`AccumulationChoice.hardware`), so results and trial keys name the arithmetic itself:
  /// `--format fp16` and `--format fp16 --accumulate fp32` are the same trial.
  public static func resolve(_ v: inout [String: String]) {
    guard let name = v["format"], let format = try? FloatFormat.named(name) else { return }
    if v["accumulate"] == "auto" { v["accumulate"] = AccumulationChoice.hardware(storage: format).rawValue }
    // Batch norm's arithmetic is a choice only with batch norm and an accumulation wider than storage.
    if v["batch-norm-arithmetic"] != nil, let accumulate = v["accumulate"].flatMap(AccumulationChoice.init(rawValue:)),
      v["batch-norm"] != "true" || accumulate == .same || accumulate.format(storage: format).precision <= format.precision
    {
      v["batch-norm-arithmetic"] = "storage"
    }
  }

  /// The settings the values name, for a run whose seed is `seed`.
  /// `--format`: the storage format (canonical, so always a known name).
  public static func format(_ v: [String: String]) -> FloatFormat { try! FloatFormat.named(v["format"]!) }

  public static func settings(_ values: [String: String], seed: UInt64, threads: Int = 1) -> ComputeSettings {
    var v = values
    resolve(&v)
    var c = ComputeSettings(
      format: try! FloatFormat.named(v["format"]!), accumulate: AccumulationChoice(rawValue: v["accumulate"]!)!,
      rounding: RoundingMode(name: v["rounding"]!)!)
    c.roundingSeed = v["rounding-seed"] == "seed" ? seed : UInt64(v["rounding-seed"]!)!
    if let path = treePath(v) {
      // The trees name every dense product's arithmetic; other sums (bias gradients) stay sequential.
      c.trees = try! ProductTreesFile.load(path)
    } else {
      c.options = KernelOptions(
        order: KernelOptions.SummationOrder(name: v["summation"]!)!, fused: v["fused"] == "true", biasFirst: v["bias-order"] == "first")
    }
    c.threads = threads
    c.normalizeInStorage = v["batch-norm-arithmetic"] == "storage"
    if let name = v["operands"], name != "same" {
      c.operands = OperandRounding(format: try! FloatFormat.named(name), mode: RoundingMode(name: v["operand-rounding"] ?? "nearest-even")!)
    }
    if let name = v["mx"], name != "none" { c.mx = MXScaling(name: name) }
    if let name = v["policy"], name != "none" { c.policy = PrecisionPolicy(name: name) }
    return c
  }

  /// The file of `--summation tree:FILE`, or nil.
  static func treePath(_ v: [String: String]) -> String? {
    guard let summation = v["summation"], summation.hasPrefix("tree:") else { return nil }
    return String(summation.dropFirst(5))
  }

  /// Why `--summation tree:FILE` cannot compute with these values: the trees hold the fusion and the
  /// bias's place, cover dense layers only, and must have every product shape the run computes (a fixed
  /// batch size, and the last, shorter batch of a training set of known size).
  static func treeProblem(_ v: [String: String], path: String) -> ParameterError? {
    if v["fused"] == "true" { return ParameterError("--fused: not with --summation tree:FILE (the trees say which products are fused)") }
    if v["bias-order"] == "first" { return ParameterError("--bias-order first: not with --summation tree:FILE (the trees say where the bias enters)") }
    if let model = v["model"], model != "mlp" { return ParameterError("--summation tree:FILE: dense layers only (--model mlp), not --model \(model)") }
    guard let widths = v["widths"].flatMap(Parameter.integerList), let trees = try? ProductTreesFile.load(path) else { return nil }
    // The trees are per product shape, so the batch size must be known before the run.
    guard let batch = v["batch-size"].flatMap(Int.init) else {
      return ParameterError("--summation tree:FILE needs a fixed --batch-size N (the trees are read per batch size), not '\(v["batch-size"] ?? "")'")
    }
    var batches = [batch]
    let trainSize = Int(v["train-size"] ?? "0") ?? 0
    let rows = trainSize > 0 ? trainSize : ["mnist", "fashion-mnist"].contains(v["data"] ?? "") ? 60_000 : nil
    if let rows, rows % batch != 0 { batches.append(rows % batch) }
    let missing = batches.flatMap { trees.missing(ProductTreesFile.shapes(widths: widths, batch: $0)) }
    guard let first = missing.first else { return nil }
    return ParameterError(
      "--summation tree:\(path): no tree for the \(first) product\(missing.count > 1 ? " (and \(missing.count - 1) more)" : ""); reveal them with `precisionlab arithmetic reveal --python PYTHON --widths \(widths.map(String.init).joined(separator: ",")) --batch-size \(Set(batches).sorted().map(String.init).joined(separator: ","))`")
  }

  /// Why the values cannot compute together, or nil.
  public static func problem(_ values: [String: String]) -> ParameterError? {
    var v = values
    resolve(&v)
    let format = try! FloatFormat.named(v["format"]!)
    let accumulate = AccumulationChoice(rawValue: v["accumulate"]!)!
    if let problem = accumulate.problem(storage: format) { return ParameterError("--accumulate \(accumulate.rawValue): \(problem)") }
    if let name = v["operands"], name != "same",
      let problem = OperandRounding(format: try! FloatFormat.named(name), mode: RoundingMode(name: v["operand-rounding"] ?? "nearest-even")!).problem(storage: format)
    {
      return ParameterError("--operands \(name): \(problem)")
    }
    if v["operands"] == "same", let mode = v["operand-rounding"], mode != "nearest-even" {
      return ParameterError("--operand-rounding \(mode) needs --operands FORMAT (the operands are not rounded)")
    }
    if let path = treePath(v) {
      if let problem = treeProblem(v, path: path) { return problem }
    }
    if let name = v["mx"], name != "none" {
      if let problem = MXScaling.problem(storage: format) { return ParameterError("--mx \(name): \(problem)") }
    }
    if let name = v["policy"], name != "none", let policy = PrecisionPolicy(name: name) {
      if let problem = policy.problem(storage: format) { return ParameterError("--policy \(name): \(problem)") }
      if accumulate.format(storage: format) != .binary32 { return ParameterError("--policy \(name): products accumulate in binary32 (not --accumulate \(accumulate.rawValue))") }
      if v["rounding"] != "nearest-even" { return ParameterError("--policy \(name): autocast rounds to nearest even (not --rounding \(v["rounding"]!))") }
      if let other = v["operands"], other != "same" { return ParameterError("--operands \(other): not with --policy (the policy rounds each product's operands)") }
      if let other = v["mx"], other != "none" { return ParameterError("--mx \(other): not with --policy (the policy says which products take MX operands)") }
      if let flag = ["root-cause", "zero-operations"].first(where: { v[$0] == "true" }) {
        return ParameterError("--\(flag): not with --policy (the classifiers recompute from the stored binary32 parameters, not the policy's rounded copies)")
      }
    }
    if let order = v["summation"].flatMap(KernelOptions.SummationOrder.init(name:)), case .tensorCore = order {
      if accumulate.format(storage: format) != .binary32 {
        return ParameterError(
          "--summation \(order): tensor cores accumulate in binary32; \(format.name) accumulates in \(accumulate.format(storage: format).name) (use --accumulate fp32, or --format binary32)")
      }
      if v["fused"] == "true" { return ParameterError("--fused: not with --summation \(order) (each group is one fused operation already)") }
    }
    if v["fused"] == "true", ["kahan", "neumaier"].contains(v["summation"] ?? "") {
      return ParameterError("--fused: not with --summation \(v["summation"]!) (compensated sums round each product first)")
    }
    if v["summation"] == "blas" && v["bias-order"] == "first" {
      return ParameterError("--bias-order first: not with --summation blas (the library adds the bias as it does)")
    }
    if v["summation"] == "blas",
      let problem = BLAS.problem(
        storage: format, accumulate: accumulate.format(storage: format), mode: RoundingMode(name: v["rounding"]!)!, fused: v["fused"] == "true")
    {
      return ParameterError("--summation blas: \(problem)")
    }
    return nil
  }
}
