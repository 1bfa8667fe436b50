import BuildInfo
import Foundation
import Scalars
import Tensors

/// What computed a result: the toolkit's version, the git commit of the sources compiled into this
/// binary (stamped at build time, `BuildInfo`; never the checkout a command runs in), and the machine
/// facts that say which code paths ran (the kernels' instruction set, MPFR's version).
public enum Provenance {
  public static let version = "0.9.1"

  /// The commit as every results row records it: 12 hex digits, "-dirty" when the compiled sources
  /// differed from it, "unknown" for a build outside a git checkout of the package.
  public static var commit: String { BuildInfo.shortCommit }

  /// The full commit hash, or "unknown".
  public static var fullCommit: String { BuildInfo.commit }

  /// Whether the compiled sources differed from the commit (nil: unknown).
  public static var dirty: Bool? { BuildInfo.dirty }

  /// "release" or "debug".
  public static var build: String { BuildInfo.configuration }

  /// The matrix kernels' code path on this CPU: "avx512f", "avx2+fma" or "portable C".
  public static var instructionSet: String { FastMatrixMultiply.instructionSet }

  /// The GNU MPFR library's version.
  public static var mpfr: String { MPFRLibrary.version }

  /// The CPU's model name (Linux: /proc/cpuinfo), or "unknown".
  public static let cpu: String = {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
      let colon = line.firstIndex(of: ":")
    else { return "unknown" }
    return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
  }()

  /// One line for people: "precisionlab 0.9.1 at e200423cefb0 (release, avx2+fma, MPFR 4.2.0)".
  public static var summary: String { "precisionlab \(version) at \(commit) (\(build), \(instructionSet), MPFR \(mpfr))" }
}
