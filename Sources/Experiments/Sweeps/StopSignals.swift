import Dispatch
import Foundation

/// SIGTERM (what Slurm and `kill` send) and SIGINT (Ctrl-C) during a sweep: the results file already
/// holds every finished trial (rows are appended whole as trials end), so the sweep closes its
/// manifest session, saying how it stopped, and exits at once with 128 + the signal's number. The
/// trials in flight are dropped; a resume recomputes them (their partial rows, if any, are repaired
/// away as an interrupted trial's).
final class StopSignals: @unchecked Sendable {
  private let lock = NSLock()
  private var sources: [DispatchSourceSignal] = []
  private var onStop: ((Int32) -> Void)?

  /// Calls `onStop(signal)` once, on a background queue, for the first SIGTERM or SIGINT, then exits.
  init(onStop: @escaping (Int32) -> Void) {
    self.onStop = onStop
    for sig in [SIGTERM, SIGINT] {
      signal(sig, SIG_IGN)  // delivered to the source below instead of killing the process
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      source.setEventHandler { [weak self] in self?.stop(sig) }
      source.resume()
      sources.append(source)
    }
  }

  private func stop(_ sig: Int32) {
    lock.lock()
    let handler = onStop
    onStop = nil
    lock.unlock()
    guard let handler else { return }
    handler(sig)
    exit(128 + sig)
  }

  /// Restores the default actions (the sweep ended normally).
  func cancel() {
    lock.lock()
    onStop = nil
    lock.unlock()
    for s in sources { s.cancel() }
    signal(SIGTERM, SIG_DFL)
    signal(SIGINT, SIG_DFL)
  }
}
