import Networks

extension Experiment {
  /// `precisionlab census`: one row per run (θ): the exact zeros at activation inputs over one forward
  /// pass, per layer (λ), without backward passes.
  public static let census = Experiment(
    name: "census",
    abstract: "λ: exact zeros (kinks) at activation inputs per layer over one forward pass of the data, for a fresh θ; no backward pass.",
    parameters: studyParameters(relu0: "0", pair: false, batchSize: 256),
    resultColumns: ["batches_examined", "batches_with_zeros", "zeros_per_layer", "zeros_total", "inputs_per_layer"],
    rowColumns: [],
    check: { v in
      if let problem = studyProblem(v) { return problem }
      let kind = KinkParameters.kind(v)
      return kind.hasKinks ? nil : ParameterError("census counts the inputs at an activation's kinks, and \(kind) has none")
    },
    run: { t, context, emit in
      let (feed, _) = try t.feed(context)
      var study = KinkCensusStudy(model: t.model, compute: t.compute(threads: context.threads), feed: feed, seed: t.seed)
      study.activation = t.kinks.layer
      let r = try study.run()
      emit([
        "\(r.batchesExamined)", "\(r.batchesWithKinks)", ResultText.list(r.kinksPerLayer), "\(r.kinksPerLayer.reduce(0, +))",
        ResultText.list(r.inputsPerLayer),
      ], true)
    }).summarized(as: .census, plotting: "lambda")
}
