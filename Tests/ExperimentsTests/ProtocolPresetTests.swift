import Experiments
import Testing

/// `--protocol paper` and `--protocol corrected` set exactly the options they claim; explicit options win.
@Suite struct ProtocolPresetTests {
  static func trial(_ values: [String: [String]], _ experiment: Experiment = .bifurcation) throws -> Trial {
    try Grid(experiment, values: values, runs: 1, seeds: [0]).trials()[0]
  }

  @Test(arguments: [Experiment.bifurcation, .gradientDifference])
  func presetsSetTheirOptionsAndNothingElse(_ experiment: Experiment) throws {
    let paper = try Self.trial(["protocol": ["paper"]], experiment)
    let corrected = try Self.trial(["protocol": ["corrected"]], experiment)
    #expect(paper["kink-rule"] == "paper" && paper["accumulate-gradients"] == "true")
    #expect(paper["compare"] == "first-layer" && paper["first-relu"] == "true")
    #expect(corrected["kink-rule"] == "scale" && corrected["accumulate-gradients"] == "false")
    #expect(corrected["compare"] == "first-layer" && corrected["first-relu"] == "true")
    let differing = Set(paper.values.keys.filter { paper.values[$0] != corrected.values[$0] })
    #expect(differing == ["protocol", "kink-rule", "accumulate-gradients"])
    // The default protocol is the corrected one; no value is ever left at the word "protocol".
    #expect(try Self.trial([:], experiment).values == corrected.values)
    #expect(!paper.values.values.contains("protocol") && !corrected.values.values.contains("protocol"))
  }

  @Test func explicitOptionsOverrideThePreset() throws {
    let t = try Self.trial(["protocol": ["paper"], "kink-rule": ["scale"], "no-first-relu": []].filter { !$0.value.isEmpty })
    #expect(t["protocol"] == "paper" && t["kink-rule"] == "scale" && t["accumulate-gradients"] == "true")
    let u = try Self.trial(["protocol": ["corrected"], "accumulate-gradients": ["true"], "first-relu": ["false"]])
    #expect(u["kink-rule"] == "scale" && u["accumulate-gradients"] == "true" && u["first-relu"] == "false")
  }

  @Test func protocolIsAColumnAndBadValuesAreOneLine() throws {
    #expect(Experiment.bifurcation.header.contains("protocol") && Experiment.gradientDifference.header.contains("protocol"))
    #expect(!Experiment.training.header.contains("protocol"))
    do {
      _ = try Grid(.bifurcation, values: ["protocol": ["papr"]], runs: 1, seeds: [0])
      Issue.record("--protocol papr was accepted")
    } catch {
      #expect(error.description == "--protocol: unknown value 'papr'; valid: corrected, paper")
    }
  }

  @Test func theCommandLineSpellsThePresetWord() throws {
    // `--kink-rule protocol` is the default spelled out; the help shows it.
    let raw = try Experiment.bifurcation.table.parse(["--protocol", "paper", "--kink-rule", "protocol"])
    let t = try Grid(.bifurcation, values: raw, runs: 1, seeds: [0]).trials()[0]
    #expect(t["kink-rule"] == "paper")
    #expect(Experiment.bifurcation.table.help.contains("--kink-rule (default protocol)"))
  }

  /// A flag's other spelling of false is declared by the flag (`Parameter.negated(by:)`), not by the parser.
  @Test func untilFirstDifferenceClearsAllBatches() throws {
    #expect(try Experiment.bifurcation.table.parse(["--all-batches", "--until-first-difference"])["all-batches"] == ["true", "false"])
    #expect(Experiment.bifurcation.parameter("all-batches")?.negation == "until-first-difference")
    do {
      _ = try Experiment.training.table.parse(["--until-first-difference"])
      Issue.record("train accepted --until-first-difference")
    } catch {
      #expect(error.description.hasPrefix("unknown option '--until-first-difference' for train"))
    }
  }
}
