import ScalarsSupport

/// The binary64 engine's format chosen at run time: whatever `EmulatedFloat.withFormat` set on the
/// calling thread. It lets one specialisation of generic code serve every format the engine holds
/// (TF32, FP8, FP6, FP4, binary32 in the directed, odd and stochastic modes, `ieee:P:EMAX` with
/// P ≤ 51 and EMAX ≤ 300), so that adding a format needs no new type and no new compiled copy of the networks.
public enum ThreadSmallFormat: FormatSpecification {
  /// This thread's format (stops with a message outside `EmulatedFloat.withFormat`).
  public static var format: FloatFormat {
    guard let box = pl_environment_pointer().pointee.small_format else { missingFormat() }
    return Unmanaged<FormatBox>.fromOpaque(box).takeUnretainedValue().format
  }

  /// This thread's constants: one thread-local load, no reference counting.
  @inlinable public static var smallConstants: SmallFormatConstants {
    guard let constants = pl_environment_pointer().pointee.small_constants else { missingFormat() }
    return constants.assumingMemoryBound(to: SmallFormatConstants.self).pointee
  }

  @usableFromInline static func missingFormat() -> Never {
    preconditionFailure("EmulatedFloat used outside EmulatedFloat.withFormat: no format set on this thread")
  }
}

/// A `FloatFormat` held by reference, so that a thread-local pointer can name it.
final class FormatBox: Sendable {
  let format: FloatFormat
  init(_ format: FloatFormat) { self.format = format }
}

/// Values of a binary64-engine format chosen at run time (`--format tf32`, `e4m3`, `ieee:10:15`, …):
/// `SmallFloat` with the format of the calling thread, so exactly the same arithmetic as
/// `SmallFloat<Spec>` with that format's specification (every operation correctly rounded in the
/// thread's rounding mode), at the cost of reading the format's constants from a thread-local per
/// operation instead of folding them.
///
/// A value is a binary64 holding a member of the format: it does not remember which format made it,
/// so values must not cross `withFormat` scopes of different formats.
public typealias EmulatedFloat = SmallFloat<ThreadSmallFormat>

extension SmallFloat where Spec == ThreadSmallFormat {
  /// Runs `body` with `format` as this thread's `EmulatedFloat` format, then restores the previous
  /// one. Worker threads that copy the calling thread's environment (`ThreadEnvironment`) see the
  /// format too, for the duration of `body`.
  /// - Precondition: the binary64 engine holds `format` (`format.engine == .double`).
  public static func withFormat<R>(_ format: FloatFormat, _ body: () throws -> R) rethrows -> R {
    precondition(format.engine == .double, "EmulatedFloat holds formats with p ≤ 51 and exponents within ±300, not \(format.name)")
    let constants = UnsafeMutablePointer<SmallFormatConstants>.allocate(capacity: 1)
    constants.initialize(to: format.small)
    let box = Unmanaged.passRetained(FormatBox(format))
    let environment = pl_environment_pointer()!
    let saved = (environment.pointee.small_constants, environment.pointee.small_format)
    defer {
      let environment = pl_environment_pointer()!
      (environment.pointee.small_constants, environment.pointee.small_format) = saved
      box.release()
      constants.deinitialize(count: 1)
      constants.deallocate()
    }
    environment.pointee.small_constants = UnsafeRawPointer(constants)
    environment.pointee.small_format = UnsafeRawPointer(box.toOpaque())
    return try body()
  }
}
