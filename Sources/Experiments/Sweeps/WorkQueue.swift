import Foundation

/// Hands out trial indices to worker threads.
final class WorkQueue: @unchecked Sendable {
  private let condition = NSCondition()
  private var nextIndex = 0
  private var finishedWorkers = 0
  let count: Int

  init(count: Int) { self.count = count }

  /// Hands out no more indices (a sweep that must stop).
  func cancel() {
    condition.lock()
    nextIndex = count
    condition.unlock()
  }

  func next() -> Int? {
    condition.lock()
    defer { condition.unlock() }
    guard nextIndex < count else { return nil }
    nextIndex += 1
    return nextIndex - 1
  }

  func done() {
    condition.lock()
    finishedWorkers += 1
    condition.broadcast()
    condition.unlock()
  }

  func waitForWorkers(_ n: Int) {
    condition.lock()
    while finishedWorkers < n { condition.wait() }
    condition.unlock()
  }
}

final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var n = 0
  func add() { lock.lock(); n += 1; lock.unlock() }
  var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
