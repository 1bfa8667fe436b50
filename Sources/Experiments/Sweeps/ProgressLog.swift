import Foundation

/// Progress on standard error: on a terminal a live bar (trials done, rate, ETA), otherwise a plain
/// line every five seconds; nothing with `quiet`.
final class ProgressLog: @unchecked Sendable {
  private let lock = NSLock()
  private let total: Int
  private let quiet: Bool
  private let terminal = isatty(2) != 0
  private var done = 0
  private let start = DispatchTime.now().uptimeNanoseconds
  private var lastPrint: UInt64 = 0

  init(total: Int, quiet: Bool) {
    self.total = total
    self.quiet = quiet
  }

  func say(_ line: String) {
    guard !quiet else { return }
    FileHandle.standardError.write(Data(("precisionlab: " + line + "\n").utf8))
  }

  func completed() {
    lock.lock()
    defer { lock.unlock() }
    done += 1
    guard !quiet else { return }
    let now = DispatchTime.now().uptimeNanoseconds
    let interval: UInt64 = terminal ? 200_000_000 : 5_000_000_000
    guard now - lastPrint >= interval || done == total else { return }
    lastPrint = now
    let elapsed = Double(now - start) / 1e9
    let rate = Double(done) / max(elapsed, 1e-9)
    let eta = rate > 0 ? Double(total - done) / rate : 0
    let status = "\(done)/\(total) trials  \(String(format: "%.2f", rate))/s  ETA \(Self.duration(eta))"
    if terminal {
      let width = 30
      let filled = total == 0 ? width : width * done / total
      let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
      FileHandle.standardError.write(Data("\r[\(bar)] \(status)  ".utf8))
    } else {
      FileHandle.standardError.write(Data("precisionlab: \(status)\n".utf8))
    }
  }

  func finish() {
    if terminal && !quiet && total > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
  }

  static func duration(_ s: Double) -> String {
    s < 60 ? String(format: "%.0fs", s) : s < 3600 ? String(format: "%.0fm%02.0fs", (s / 60).rounded(.down), s.truncatingRemainder(dividingBy: 60)) : String(format: "%.1fh", s / 3600)
  }
}
