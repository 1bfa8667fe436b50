import Foundation
import PackagePlugin

/// Writes `BuildStamp.swift` (the git commit of the package's sources and whether they were modified)
/// into the target's build folder, so that every results row names the source that was compiled rather
/// than whatever checkout the command happens to run in. The work is `scripts/build-stamp.sh`, run with
/// /bin/sh.
///
/// It is a build command whose inputs are everything the stamp depends on: the manifest, the script, the
/// plugin, every source file of every non-test target, and git's HEAD, index and branch ref. So a commit, a
/// checkout or an edit reruns it and a build with none of them reuses the stamp. (A prebuild command
/// was not rerun by every build: a release build right after a commit kept the previous commit's
/// stamp.) The script rewrites the file only when its contents change.
@main struct BuildStamp: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
    let output = context.pluginWorkDirectoryURL.appendingPathComponent("generated/BuildStamp.swift")
    let package = context.package.directoryURL
    let script = package.appendingPathComponent("scripts/build-stamp.sh")
    var inputs = [package.appendingPathComponent("Package.swift"), script,
                  package.appendingPathComponent("Plugins/BuildStamp/plugin.swift")]
    for case let module as SourceModuleTarget in context.package.targets where module.kind != .test {
      inputs += module.sourceFiles.map(\.url)
    }
    inputs += Self.gitState(package)
    return [
      .buildCommand(
        displayName: "Stamping the build with its git commit",
        executable: URL(fileURLWithPath: "/bin/sh"),
        arguments: [script.path, package.path, output.path],
        environment: [:],
        inputFiles: inputs,
        outputFiles: [output])
    ]
  }

  /// The files git changes on a commit, checkout or staging: HEAD, the index, packed refs and the
  /// branch HEAD names (those that exist; none outside a git checkout).
  static func gitState(_ package: URL) -> [URL] {
    let git = package.appendingPathComponent(".git")
    var files = ["HEAD", "index", "packed-refs"].map { git.appendingPathComponent($0) }
    if let head = try? String(contentsOf: git.appendingPathComponent("HEAD"), encoding: .utf8),
      head.hasPrefix("ref: ")
    {
      files.append(git.appendingPathComponent(head.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)))
    }
    return files.filter { FileManager.default.fileExists(atPath: $0.path) }
  }
}
