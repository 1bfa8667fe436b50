import ArgumentParser
import Datasets
import Foundation

/// `precisionlab data fetch|list`.
struct DataCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "data", abstract: "Download and check datasets.", subcommands: [Fetch.self, List.self])

  struct DirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Data directory (default: $PRECISIONLAB_DATA, else ./data).", valueName: "dir"))
    var dataDir: String?

    var directory: String { resolveDataDirectory(dataDir) }
  }

  struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Download a dataset, verify every decompressed file's SHA-256, store it atomically.")

    @Argument(help: ArgumentHelp("Dataset: \(DatasetDescriptor.all.map(\.name).joined(separator: ", ")).", valueName: "name"))
    var name: String

    @OptionGroup var directoryOption: DirectoryOption

    @Option(help: ArgumentHelp("A mirror to try first (base URL; repeatable).", valueName: "url"))
    var mirror: [String] = []

    @Flag(name: .customLong("only-mirror"), help: "Try only the --mirror URLs, not the built-in mirrors.")
    var onlyMirror = false

    @Flag(name: .customLong("allow-unverified"), help: "Keep files for which this build has no verified checksum (prints theirs).")
    var allowUnverified = false

    func validate() throws {
      guard !onlyMirror || !mirror.isEmpty else { throw ValidationError("--only-mirror needs at least one --mirror") }
      guard DatasetDescriptor.named(name) != nil else {
        throw ValidationError("unknown dataset '\(name)'; valid: \(DatasetDescriptor.all.map(\.name).joined(separator: ", "))")
      }
    }

    func run() throws {
      var fetcher = Fetcher(dataDirectory: directoryOption.directory)
      fetcher.extraMirrors = mirror
      fetcher.allowUnverified = allowUnverified
      fetcher.useBuiltInMirrors = !onlyMirror
      fetcher.log = { writeAll("\($0)\n", to: 2) }
      do {
        for outcome in try fetcher.fetch(DatasetDescriptor.named(name)!) {
          print("\(outcome.file)  \(outcome.status)  sha256 \(outcome.sha256)")
        }
      } catch {
        throw failWithDataError(error.description)
      }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show which datasets are present and verified.")

    @OptionGroup var directoryOption: DirectoryOption

    func run() throws {
      print("data directory: \(directoryOption.directory)")
      for dataset in DatasetDescriptor.all {
        for file in dataset.files {
          let path = (dataset.directory(in: directoryOption.directory) as NSString).appendingPathComponent(file.name)
          let status: String
          if let bytes = FileManager.default.contents(atPath: path) {
            let raw = [UInt8](bytes)
            if let digest = try? SHA256.hex(Gzip.isCompressed(raw) ? Gzip.decompress(raw, file: path) : raw) {
              status = file.sha256 == nil ? "present, unverified (sha256 \(digest))" : (digest == file.sha256 ? "present, verified" : "present, CHECKSUM MISMATCH")
            } else {
              status = "present, unreadable (corrupt gzip)"
            }
          } else {
            status = "missing"
          }
          print("\(dataset.name)  \(file.name)  \(status)")
        }
      }
    }
  }
}
