import Foundation

/// Progress of a long task on standard error: on a terminal a live bar (done of total, rate, ETA,
/// redrawn at most five times a second), otherwise a plain line every five seconds (logs of batch
/// jobs stay short); nothing when `quiet`. Safe to call from several threads.
public final class ProgressMeter: @unchecked Sendable {
  /// What is counted: whole items ("trials") or bytes (shown in kB, MB, GB).
  public enum Unit: Sendable {
    case items(String)
    case bytes
  }

  private let lock = NSLock()
  private let total: Int
  private let unit: Unit
  private let label: String
  private let quiet: Bool
  private let terminal = isatty(2) != 0
  private var done = 0
  private let start = DispatchTime.now().uptimeNanoseconds
  private var lastPrint: UInt64 = 0
  private var drew = false
  private var printed = false
  private let onlyWhenSlow: Bool

  /// `label` prefixes each line (a file name, say); `total` 0 when unknown (no bar, no ETA).
  /// `onlyWhenSlow`: nothing for a task that ends within the first interval (a bar after 0.2 s on a
  /// terminal, a line after 5 s otherwise), so quick runs of a command print no progress at all.
  public init(total: Int, unit: Unit, label: String = "", quiet: Bool, onlyWhenSlow: Bool = false) {
    self.total = total
    self.unit = unit
    self.label = label
    self.quiet = quiet
    self.onlyWhenSlow = onlyWhenSlow
    if onlyWhenSlow { lastPrint = start }
  }

  /// A line of its own ("precisionlab: " first), unless quiet.
  public func say(_ line: String) {
    guard !quiet else { return }
    FileHandle.standardError.write(Data(("precisionlab: " + line + "\n").utf8))
  }

  /// One more item done.
  public func completed() { advance(to: nil, by: 1) }

  /// `count` done in all (bytes received so far, say).
  public func update(_ count: Int) { advance(to: count, by: 0) }

  private func advance(to count: Int?, by step: Int) {
    lock.lock()
    defer { lock.unlock() }
    done = count ?? (done + step)
    guard !quiet else { return }
    let now = DispatchTime.now().uptimeNanoseconds
    let interval: UInt64 = terminal ? 200_000_000 : 5_000_000_000
    let finished = total > 0 && done >= total && (printed || !onlyWhenSlow)
    guard now - lastPrint >= interval || finished else { return }
    printed = true
    lastPrint = now
    let status = Self.status(done: done, total: total, unit: unit, seconds: Double(now - start) / 1e9)
    let prefix = label.isEmpty ? "" : label + " "
    if terminal {
      var bar = ""
      if total > 0 {
        let width = 30
        let filled = min(width, width * done / total)
        bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
      }
      FileHandle.standardError.write(Data("\r\(prefix)\(bar)\(status)  ".utf8))
      drew = true
    } else {
      FileHandle.standardError.write(Data("precisionlab: \(prefix)\(status)\n".utf8))
    }
  }

  /// Ends the bar's line on a terminal.
  public func finish() {
    lock.lock()
    defer { lock.unlock() }
    if drew { FileHandle.standardError.write(Data("\n".utf8)) }
    drew = false
  }

  /// "12/80 trials  1.50/s  ETA 39s", "3.1 MB/9.9 MB  1.2 MB/s  ETA 6s".
  static func status(done: Int, total: Int, unit: Unit, seconds: Double) -> String {
    let rate = Double(done) / max(seconds, 1e-9)
    let eta = total > 0 && rate > 0 ? "  ETA \(duration(Double(total - done) / rate))" : ""
    switch unit {
    case .items(let name):
      return "\(done)\(total > 0 ? "/\(total)" : "") \(name)  \(String(format: "%.2f", rate))/s\(eta)"
    case .bytes:
      return "\(bytes(done))\(total > 0 ? "/\(bytes(total))" : "")  \(bytes(Int(rate)))/s\(eta)"
    }
  }

  static func bytes(_ n: Int) -> String {
    let x = Double(n)
    return x < 1e3 ? "\(n) B" : x < 1e6 ? String(format: "%.1f kB", x / 1e3) : x < 1e9 ? String(format: "%.1f MB", x / 1e6) : String(format: "%.2f GB", x / 1e9)
  }

  static func duration(_ s: Double) -> String {
    s < 60 ? String(format: "%.0fs", s) : s < 3600 ? String(format: "%.0fm%02.0fs", (s / 60).rounded(.down), s.truncatingRemainder(dividingBy: 60)) : String(format: "%.1fh", s / 3600)
  }
}
