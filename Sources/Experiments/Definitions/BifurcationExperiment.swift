import Networks

extension Experiment {
  /// The study a bifurcation or graddiff trial runs: model, computation, data, the alpha pair, the
  /// kink rule, what is compared, and the accumulated-gradients quirk.
  static func bifurcationStudy(_ t: Trial, _ context: TrialContext) throws -> BifurcationStudy {
    let (feed, _) = try t.feed(context)
    var study = BifurcationStudy(model: t.model, compute: t.compute(threads: context.threads), feed: feed, seed: t.seed)
    let kinks = t.kinks
    study.alphas = kinks.pair
    study.kinkRule = kinks.rule
    study.activation = kinks.activation
    study.comparison = BifurcationStudy.Comparison(rawValue: t["compare"])!
    study.accumulateGradients = t.flag("accumulate-gradients")
    study.lossScale = ComputeParameters.lossScaling(t.values).scale
    return study
  }

  /// `precisionlab bifurcation`: one row per run (θ).
  public static let bifurcation = Experiment(
    name: "bifurcation",
    abstract: "Volume of the bifurcation zone: does backprop with ReLU'(0)=A and =B give different gradients for a fresh θ?",
    parameters: volumeParameters(extra: [
      .flag("all-batches", default: false, help: "Examine every batch instead of stopping at the first difference (--until-first-difference: the default).")
        .negated(by: "until-first-difference"),
      .flag("root-cause", default: false, help: "Classify the zeros of the differing batches exactly (MLP)."),
      .flag(
        "zero-operations", default: false,
        help: "Record the first 64 exact zeros at ReLU inputs after dense layers with the last operation of each sum (zero_ops: batch/layer/sample/unit/kind/left/right/bias/trailing zero bits of the bias, ';' between zeros; MLP)."
      ).added(withLegacyValue: "false"),
    ]),
    resultColumns: [
      "in_s", "first_difference", "first_nonfinite", "batches_examined", "batches_differing", "batches_with_zeros", "zeros_per_layer", "zeros_total",
      "diff_l1", "diff_l2", "grad_l2", "rel_diff", "backward_passes", "zeros_exact", "zeros_rounding", "zero_ops",
    ],
    rowColumns: [],
    addedResultColumns: ["zero_ops": ""],
    resolve: resolveVolume,
    check: studyProblem,
    run: { t, context, emit in
      var study = try bifurcationStudy(t, context)
      study.untilFirstDifference = !t.flag("all-batches")
      study.rootCause = t.flag("root-cause")
      study.recordZeroOperations = t.flag("zero-operations")
      let r = try study.run()
      let rel = r.difference.flatMap { d in r.gradient.map { $0.l2 == 0 ? Double.nan : d.l2 / $0.l2 } }
      emit([
        r.firstDifference == nil ? "0" : "1", r.firstDifference.map(String.init) ?? "", r.firstNonFinite.map(String.init) ?? "", "\(r.batchesExamined)",
        "\(r.batchesDiffering)", "\(r.batchesWithKinks)", ResultText.list(r.kinksPerLayer), "\(r.kinksPerLayer.reduce(0, +))",
        ResultText.number(r.difference?.l1), ResultText.number(r.difference?.l2), ResultText.number(r.gradient?.l2), ResultText.number(rel),
        "\(r.backwardPasses)", r.causes.map { "\($0.exact)" } ?? "", r.causes.map { "\($0.rounding)" } ?? "",
        study.recordZeroOperations ? ResultText.zeroOperations(r.zeroOperations) : "",
      ], true)
    }).summarized(as: .volume, plotting: "ratio")
}
