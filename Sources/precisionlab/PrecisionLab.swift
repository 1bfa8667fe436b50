import ArgumentParser

@main
struct PrecisionLab: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "precisionlab",
    abstract: "Mixed-precision floating-point experiments: formats, correctly rounded arithmetic.",
    subcommands: [FormatsCommand.self, CalcCommand.self]
  )
}
