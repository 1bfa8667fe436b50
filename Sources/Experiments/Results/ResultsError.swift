/// A results CSV that cannot be read, resumed, merged, summarised or plotted as asked: one line naming
/// the file and the problem.
public struct ResultsError: Error, CustomStringConvertible, Equatable {
  public let description: String
  /// Whether a write failed (disk full, quota, I/O error) rather than the file being wrong.
  public let isWriteFailure: Bool
  public init(_ description: String, writeFailure: Bool = false) {
    self.description = description
    self.isWriteFailure = writeFailure
  }
}
