import Networks

extension Experiment {
  /// `precisionlab graddiff`: one row per batch, every batch (no early stop).
  public static let gradientDifference = Experiment(
    name: "graddiff",
    abstract: "Gradient gaps: norms of both gradients and of their difference on every batch.",
    parameters: volumeParameters(extra: []),
    resultColumns: ["batch", "zeros", "differs", "nonfinite", "grad_a_l1", "grad_a_l2", "grad_b_l1", "grad_b_l2", "diff_l1", "diff_l2", "rel_diff"],
    rowColumns: ["batch"],
    resolve: resolveVolume,
    check: studyProblem,
    run: { t, context, emit in
      var study = try bifurcationStudy(t, context)
      study.untilFirstDifference = false
      study.recordBatches = true
      let r = try study.run()
      for (i, b) in r.batches.enumerated() {
        let rel = b.gradientA.l2 == 0 ? (b.difference.l2 == 0 ? 0 : Double.infinity) : b.difference.l2 / b.gradientA.l2
        emit([
          "\(b.index)", "\(b.kinks)", b.differs ? "1" : "0", b.nonFinite ? "1" : "0", ResultText.number(b.gradientA.l1), ResultText.number(b.gradientA.l2),
          ResultText.number(b.gradientB.l1), ResultText.number(b.gradientB.l2), ResultText.number(b.difference.l1), ResultText.number(b.difference.l2),
          ResultText.number(rel),
        ], i == r.batches.count - 1)
      }
    }).summarized(as: .gradientGaps, plotting: "ratio")
}
