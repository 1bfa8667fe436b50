import Foundation
import PackagePlugin

/// Writes `BuildStamp_COMMIT_DIRTY.swift` (the git commit of the package's sources and whether they were modified)
/// into the target's build folder before every build, so that every results row names the source that
/// was compiled rather than whatever checkout the command happens to run in. The work is
/// `scripts/build-stamp.sh`, run with /bin/sh (a prebuild command must be a system tool); it rewrites
/// the file only when its contents change, so an unchanged tree recompiles nothing.
@main struct BuildStamp: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
    let output = context.pluginWorkDirectoryURL.appendingPathComponent("generated")
    let package = context.package.directoryURL
    return [
      .prebuildCommand(
        displayName: "Stamping the build with its git commit",
        executable: URL(fileURLWithPath: "/bin/sh"),
        arguments: [package.appendingPathComponent("scripts/build-stamp.sh").path, package.path, output.appendingPathComponent("BuildStamp.swift").path],
        environment: [:],
        outputFilesDirectory: output)
    ]
  }
}
