import Dispatch
import Scalars
import ScalarsSupport

/// The calling thread's whole scalar environment (rounding mode, stochastic stream, `MPFRFloat`'s
/// format), captured so that worker threads compute exactly as the caller would.
public struct ThreadEnvironment: @unchecked Sendable {
  let saved: pl_environment

  public static func capture() -> ThreadEnvironment { ThreadEnvironment(saved: pl_environment_get()) }

  /// Runs `body` on this thread under the captured environment, then restores this thread's own.
  public func run<R>(_ body: () throws -> R) rethrows -> R {
    let own = pl_environment_get()
    defer { pl_environment_set(own) }
    pl_environment_set(saved)
    return try body()
  }
}

/// Runs `body(row)` for every row in `0..<rows` on up to `threads` threads, each under the caller's
/// environment. With stochastic rounding every row gets its own stream, seeded from one draw of the
/// caller's stream and the row number, so results do not depend on the thread count.
@inlinable
public func forEachRow(_ rows: Int, threads: Int, _ body: @escaping (Int) -> Void) {
  let environment = ThreadEnvironment.capture()
  let stochastic = RoundingEnvironment.mode == .stochastic
  let base = stochastic ? RoundingEnvironment.randomBits() : 0
  let run: (Int) -> Void = { row in
    if stochastic { RoundingEnvironment.seed(base, stream: UInt64(row)) }
    body(row)
  }
  let workers = max(1, min(threads, rows))
  if workers == 1 {
    for row in 0..<rows { run(row) }
    if stochastic { environment.restoreStream() }
    return
  }
  nonisolated(unsafe) let work = run
  DispatchQueue.concurrentPerform(iterations: workers) { worker in
    environment.run {
      var row = worker
      while row < rows {
        work(row)
        row += workers
      }
    }
  }
  if stochastic { environment.restoreStream() }
}

/// `forEachRow` with a scratch value per worker thread (`scratch()` called once per worker), for rows
/// that need a buffer: the rows and their streams are exactly those of `forEachRow`.
@inlinable
public func forEachRow<Scratch>(_ rows: Int, threads: Int, scratch: @escaping () -> Scratch, _ body: @escaping (Int, inout Scratch) -> Void) {
  let environment = ThreadEnvironment.capture()
  let stochastic = RoundingEnvironment.mode == .stochastic
  let base = stochastic ? RoundingEnvironment.randomBits() : 0
  let workers = max(1, min(threads, rows))
  nonisolated(unsafe) let (work, make) = (body, scratch)
  let run: (Int) -> Void = { worker in
    var buffer = make()
    var row = worker
    while row < rows {
      if stochastic { RoundingEnvironment.seed(base, stream: UInt64(row)) }
      work(row, &buffer)
      row += workers
    }
  }
  if workers == 1 {
    run(0)
  } else {
    nonisolated(unsafe) let run = run
    DispatchQueue.concurrentPerform(iterations: workers) { worker in environment.run { run(worker) } }
  }
  if stochastic { environment.restoreStream() }
}

extension ThreadEnvironment {
  /// Puts the captured stochastic stream back on this thread, advanced by the one draw `forEachRow`
  /// made, so that per-row reseeding does not disturb the caller's own sequence.
  @usableFromInline func restoreStream() {
    var e = pl_environment_get()
    e.rng = saved.rng
    e.rng_seeded = saved.rng_seeded
    pl_environment_set(e)
    _ = pl_random_u64()
  }
}
