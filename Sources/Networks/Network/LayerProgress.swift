#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress through a long forward and backward pass, for a command that shows it (`grad` on a big
/// model in a slow format): inside `withReport(r) { … }`, every layer a forward pass finishes and every
/// layer a backward pass starts on that thread calls `r` once. Elsewhere (the studies, the sweeps) it
/// costs one thread-specific read per layer. (A POSIX thread-specific value, not a Swift task-local:
/// `TaskLocal.withValue` outside a task crashed in a release build of Swift 6.3.1 here.)
public enum LayerProgress {
  final class Reporter {
    let report: @Sendable () -> Void
    init(_ report: @escaping @Sendable () -> Void) { self.report = report }
  }

  static let key: pthread_key_t = {
    var key = pthread_key_t()
    precondition(pthread_key_create(&key, nil) == 0, "no thread-specific key for LayerProgress")
    return key
  }()

  /// Runs `body` with `report` called per layer step on this thread (the previous reporter restored after).
  public static func withReport<R>(_ report: @escaping @Sendable () -> Void, _ body: () throws -> R) rethrows -> R {
    let reporter = Unmanaged.passRetained(Reporter(report))
    let previous = pthread_getspecific(key)
    pthread_setspecific(key, reporter.toOpaque())
    defer {
      pthread_setspecific(key, previous)
      reporter.release()
    }
    return try body()
  }

  /// This thread's reporter, or nil.
  static var report: (@Sendable () -> Void)? {
    guard let pointer = pthread_getspecific(key) else { return nil }
    return Unmanaged<Reporter>.fromOpaque(pointer).takeUnretainedValue().report
  }

  /// The calls one forward and one full backward pass through `layers` make: two per layer, residual
  /// blocks and their sub-layers included.
  public static func steps<T>(_ layers: [Layer<T>]) -> Int {
    2 * layers.reduce(0) { n, layer in
      if case .residual(let main, let shortcut) = layer { return n + 1 + steps(main) / 2 + steps(shortcut) / 2 }
      return n + 1
    }
  }
}
