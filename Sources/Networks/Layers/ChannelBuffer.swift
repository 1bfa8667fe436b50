import Scalars
import Tensors

/// Memory that one pass over a layer's channels reads and writes from several threads (each channel on
/// one thread, `forEachRow`), as a plain value the pass's closures capture: either allocated here for
/// per-channel values (`owning`, deallocated by its owner) or a view of an array's elements for the
/// duration of a call (`withViews`, `newArrays`). It spares a pass over many arrays the nest of
/// `withUnsafe…BufferPointer` closures.
struct ChannelBuffer<Element>: @unchecked Sendable {
  let base: UnsafeMutablePointer<Element>
  let count: Int

  /// A view of `buffer`'s elements.
  init(_ buffer: UnsafeMutableBufferPointer<Element>) {
    // An empty buffer may have no address; its view is never read, so any aligned address will do.
    base = buffer.baseAddress ?? UnsafeMutablePointer(bitPattern: MemoryLayout<Element>.alignment)!
    count = buffer.count
  }

  /// New memory holding `values` (deallocate it).
  init(owning values: [Element]) {
    count = values.count
    base = .allocate(capacity: max(count, 1))
    values.withUnsafeBufferPointer { if let p = $0.baseAddress { base.initialize(from: p, count: count) } }
  }

  /// New memory holding `count` copies of `value` (deallocate it).
  init(owning value: Element, count: Int) {
    self.count = count
    base = .allocate(capacity: max(count, 1))
    base.initialize(repeating: value, count: count)
  }

  subscript(_ i: Int) -> Element {
    get { base[i] }
    nonmutating set { base[i] = newValue }
  }

  /// Sets element `i` of memory not yet initialised (`newArrays`).
  func initialize(_ i: Int, to value: Element) { (base + i).initialize(to: value) }

  var array: [Element] { Array(UnsafeBufferPointer(start: base, count: count)) }

  func deallocate() {
    base.deinitialize(count: count)
    base.deallocate()
  }
}

extension ChannelBuffer where Element: PrecisionScalar {
  /// New memory holding `values` converted into `Element` (exactly: the callers widen; deallocate it).
  init<S: PrecisionScalar>(converting values: [S]) {
    count = values.count
    base = .allocate(capacity: max(count, 1))
    for (i, v) in values.enumerated() { (base + i).initialize(to: ScalarConversion.convert(v, to: Element.self)) }
  }
}

/// `body` given read-only views of the elements of `a` (and `b`).
func reading<X, R>(_ a: [X], _ body: (ChannelBuffer<X>) -> R) -> R {
  a.withUnsafeBufferPointer { body(ChannelBuffer(UnsafeMutableBufferPointer(mutating: $0))) }
}

func reading<X, Y, R>(_ a: [X], _ b: [Y], _ body: (ChannelBuffer<X>, ChannelBuffer<Y>) -> R) -> R {
  reading(a) { x in reading(b) { y in body(x, y) } }
}

/// A new array of `count` elements that `body` writes through a view (`ChannelBuffer.initialize`, every
/// element exactly once, from any thread).
func newArray<X>(count: Int, _ body: (ChannelBuffer<X>) -> Void) -> [X] {
  [X](unsafeUninitializedCapacity: count) { buffer, initialized in
    body(ChannelBuffer(buffer))
    initialized = count
  }
}

/// Two new arrays written as `newArray`'s.
func newArrays<X, Y>(count: Int, _: X.Type, _: Y.Type, _ body: (ChannelBuffer<X>, ChannelBuffer<Y>) -> Void) -> ([X], [Y]) {
  var second = [Y]()
  let first = newArray(count: count) { (x: ChannelBuffer<X>) in second = newArray(count: count) { y in body(x, y) } }
  return (first, second)
}
