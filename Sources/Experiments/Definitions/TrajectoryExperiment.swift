import Networks

extension Experiment {
  /// `precisionlab trajectory`: one row per iteration.
  public static let trajectory = Experiment(
    name: "trajectory",
    abstract: "Three copies of one θ (ReLU'(0) = A, B, B) trained by plain SGD on the same batches: parameter distances per iteration.",
    parameters: studyParameters(relu0: "1,0", pair: true, batchSize: 128).map { $0.name == "widths" ? $0.withDefault("784,2000,128,10") : $0 } + [
        .real("lr", default: "0.01", help: "SGD learning rate.", valid: { $0 > 0 && $0.isFinite }, rule: "a positive number"),
        .integer("iterations", default: 200, minimum: 1, help: "SGD iterations."),
      ],
    resultColumns: ["iteration", "l1_across_alphas", "l1_same_alpha", "min_abs_pre_a", "min_abs_pre_b", "zeros_first_layer_a", "zeros_first_layer_b"],
    rowColumns: ["iteration"],
    check: { v in
      if ModelParameters.kind(v) != .mlp { return ParameterError("trajectory runs an MLP (--model mlp)") }
      return studyProblem(v)
    },
    run: { t, context, emit in
      let (feed, _) = try t.feed(context)
      let iterations = t.int("iterations")
      var study = TrajectoryStudy(
        widths: Parameter.integerList(t["widths"])!, compute: t.compute(threads: context.threads), learningRate: t.double("lr"), feed: feed,
        iterations: iterations, seed: t.seed)
      study.activateFirstLayer = t.flag("first-relu")
      let kinks = t.kinks
      study.alphas = kinks.pair
      study.kinkRule = kinks.rule
      study.activation = kinks.activation
      try withoutActuallyEscaping(emit) { emit in try study.run { i in
        emit([
          "\(i.iteration)", ResultText.number(i.distanceAcrossAlphas), ResultText.number(i.distanceSameAlpha),
          ResultText.number(i.smallestPreActivation.0), ResultText.number(i.smallestPreActivation.1), "\(i.zeros.0)", "\(i.zeros.1)",
        ], i.iteration == iterations)
      } }
    }).summarized(as: .trajectory, plotting: "l1_across_alphas_mean")
}
