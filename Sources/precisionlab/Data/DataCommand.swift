import ArgumentParser
import Experiments
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
      abstract: "Download a dataset, verify every decompressed file against this build's checksums, store it atomically.")

    @Argument(help: ArgumentHelp("Dataset: \(DatasetDescriptor.all.map(\.name).joined(separator: ", ")).", valueName: "name"))
    var name: String

    @OptionGroup var directoryOption: DirectoryOption

    @Option(help: ArgumentHelp("A mirror to try first (base URL; repeatable).", valueName: "url"))
    var mirror: [String] = []

    @Flag(name: .customLong("only-mirror"), help: "Try only the --mirror URLs, not the built-in mirrors.")
    var onlyMirror = false

    @Flag(help: "No progress output (a bar on a terminal, a line every five seconds otherwise).")
    var quiet = false


    func validate() throws {
      guard !onlyMirror || !mirror.isEmpty else { throw ValidationError("--only-mirror needs at least one --mirror") }
      guard DatasetDescriptor.named(name) != nil else {
        throw ValidationError("unknown dataset '\(name)'; valid: \(DatasetDescriptor.all.map(\.name).joined(separator: ", "))")
      }
    }

    func run() throws {
      var fetcher = Fetcher(dataDirectory: directoryOption.directory)
      fetcher.extraMirrors = mirror
      fetcher.useBuiltInMirrors = !onlyMirror
      let meters = DownloadMeters(quiet: quiet)
      fetcher.log = { line in
        meters.finish()  // a status line starts below the finished bar, not on it
        writeAll("\(line)\n", to: 2)
      }
      fetcher.progress = { url, received, total in meters.update(url, received, total) }
      defer { meters.finish() }
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
          switch Fetcher.checkStored(file, at: path) {
          case .verified(let how, _): status = "present, verified (\(how))"
          case .mismatch(let what, _): status = "present, CHECKSUM MISMATCH (\(what))"
          case .unverified(let digest): status = "present, unverified (sha256 \(digest))"
          case nil: status = FileManager.default.fileExists(atPath: path) ? "present, unreadable (corrupt gzip)" : "missing"
          }
          print("\(dataset.name)  \(file.name)  \(status)")
        }
      }
    }
  }
}

/// One progress meter per download, the last one's line ended when the next starts.
final class DownloadMeters: @unchecked Sendable {
  private let lock = NSLock()
  private let quiet: Bool
  private var current: (url: String, meter: ProgressMeter)?

  init(quiet: Bool) { self.quiet = quiet }

  func update(_ url: String, _ received: Int, _ total: Int?) {
    lock.lock()
    defer { lock.unlock() }
    if current?.url != url {
      current?.meter.finish()
      current = (url, ProgressMeter(total: total ?? 0, unit: .bytes, label: (url as NSString).lastPathComponent, quiet: quiet))
    }
    current?.meter.update(received)
  }

  /// Ends the current download's line (a later chunk of another URL starts a new meter).
  func finish() {
    lock.lock()
    defer { lock.unlock() }
    current?.meter.finish()
    current = nil
  }
}
