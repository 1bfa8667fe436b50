import Experiments
import Testing

/// The time-to-first-difference view of bifurcation results (the paper's CIFAR tables).
@Suite struct FirstDifferenceSummaryTests {
  @Test func sharesByKWithIntervalsAndMeanAndMax() throws {
    // Ten runs: first differences at batches 0, 0, 4, 9, 30, 120 (k = 1, 1, 5, 10, 31, 121); four never differed.
    let header = ["experiment", "trial", "format", "in_s", "first_difference", "error"]
    let firsts = ["0", "0", "4", "9", "30", "120", "", "", "", ""]
    let rows = firsts.enumerated().map { i, f in ["bifurcation", "t\(i)", "binary32", f.isEmpty ? "0" : "1", f, ""] }
    let s = try Summary.make(header: header, rows: rows, by: ["format"], view: .firstDifference)
    let row = Dictionary(uniqueKeysWithValues: zip(s.columns, s.rows[0]))
    #expect(row["runs"] == "10" && row["differed"] == "6")
    #expect(row["p_k1"] == "0.2" && row["p_k10"] == "0.4" && row["p_k50"] == "0.5")
    // Wilson interval of 2/10 (Newcombe 1998, method 3: 0.0567 to 0.5098).
    #expect(row["p_k1_low"] == "0.05668" && row["p_k1_high"] == "0.5098")
    #expect(row["mean_k"] == "28.17" && row["max_k"] == "121")  // 169 / 6
  }

  @Test func otherExperimentsHaveNoSuchView() {
    do {
      _ = try Summary.make(header: ["experiment", "trial", "error"], rows: [["train", "t", ""]], by: nil, view: .firstDifference)
      Issue.record("accepted")
    } catch {
      #expect(error.description == "the first-difference view is for bifurcation results, not train")
    }
  }
}
