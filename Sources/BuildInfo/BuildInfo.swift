/// What was compiled: the git commit of the package's sources at build time and whether the compiled
/// files (Package.swift, Sources/, Plugins/) differed from it, stamped into the binary by the
/// BuildStamp plugin before every build. Unlike the checkout a command runs in, this names the code
/// that computes, wherever the executable is installed or run from.
public enum BuildInfo {
  /// The full commit hash, or "unknown" when the build was not made in a git checkout of the package
  /// (a release tarball, a package folder inside another repository, git missing).
  public static let commit: String = BuildStamp.commit

  /// Whether the compiled sources differed from `commit` (modified or new files): true, false, or
  /// nil when unknown.
  public static let dirty: Bool? = BuildStamp.dirty == "true" ? true : BuildStamp.dirty == "false" ? false : nil

  /// The commit as results rows record it: its first 12 hex digits, with "-dirty" when the sources
  /// differed from it, "-unchecked" when git could not say ("unknown" when there is no commit).
  public static var shortCommit: String {
    guard commit != "unknown" else { return "unknown" }
    return String(commit.prefix(12)) + (dirty == true ? "-dirty" : dirty == nil ? "-unchecked" : "")
  }

  /// "release" or "debug".
  public static var configuration: String {
    #if DEBUG
      return "debug"
    #else
      return "release"
    #endif
  }
}
