import Foundation

/// The toolkit's version and, when known, a git commit: the HEAD of the checkout the executable lives
/// in, else of the current directory's, read when the process starts. It is the commit the executable
/// was built from only if that checkout has not moved since the build (SwiftPM offers no way to embed
/// it at build time without unsafe flags).
public enum Provenance {
  public static let version = "0.9.0"

  public static let commit: String = {
    var candidates = [FileManager.default.currentDirectoryPath]
    let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
    candidates.insert(executable.deletingLastPathComponent().path, at: 0)
    for start in candidates {
      var dir = URL(fileURLWithPath: start)
      for _ in 0..<8 {
        let git = dir.appendingPathComponent(".git")
        if let head = try? String(contentsOf: git.appendingPathComponent("HEAD"), encoding: .utf8) {
          let line = head.trimmingCharacters(in: .whitespacesAndNewlines)
          guard line.hasPrefix("ref: ") else { return String(line.prefix(12)) }
          let ref = String(line.dropFirst(5))
          if let hash = try? String(contentsOf: git.appendingPathComponent(ref), encoding: .utf8) {
            return String(hash.trimmingCharacters(in: .whitespacesAndNewlines).prefix(12))
          }
          if let packed = try? String(contentsOf: git.appendingPathComponent("packed-refs"), encoding: .utf8),
            let entry = packed.split(separator: "\n").first(where: { $0.hasSuffix(" " + ref) })
          {
            return String(entry.prefix(12))
          }
          return ""
        }
        dir.deleteLastPathComponent()
      }
    }
    return ""
  }()
}
