import ArgumentParser
import Scalars

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct PrecisionLab: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "precisionlab",
    abstract: "Mixed-precision floating-point experiments: formats, correctly rounded arithmetic, backprop in any format.",
    subcommands: [
      FormatsCommand.self, CalcCommand.self, ArithmeticCommand.self, GradCommand.self, DataCommand.self, BifurcationCommand.self,
      GradientDifferenceCommand.self, CensusCommand.self, ZerosCommand.self, TrainCommand.self, TrajectoryCommand.self, SweepCommand.self,
      SummarizeCommand.self, PlotCommand.self, MergeCommand.self, SlurmCommand.self,
    ]
  )

  /// Like ArgumentParser's `main()`, but a usage error is one line on standard error (the problem and
  /// the valid choices) with exit status 64; help still prints in full.
  static func main() {
    // Every command may run MPFR on several threads (sweeps, kernels); a build without per-thread
    // state would mix their exponent ranges silently.
    guard MPFRArithmetic.isThreadSafe else {
      writeAll("precisionlab: the GNU MPFR library on this machine was built without thread-local storage (mpfr_buildopt_tls_p is 0); install a thread-safe build (Debian's libmpfr6 is)\n", to: 2)
      terminate(69)
    }
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch let code as ExitCode {
      terminate(code.rawValue)  // the command already said why
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        print(fullMessage(for: error))
        terminate(0)
      }
      writeAll("precisionlab: \(message(for: error))\n", to: 2)
      terminate(code.rawValue)
    }
  }
}

/// Ends the process with `status` (the C library's `exit`, which `ParsableCommand` shadows).
func terminate(_ status: Int32) -> Never { exit(status) }
