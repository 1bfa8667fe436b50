/// A results CSV that cannot be read, resumed, merged, summarised or plotted as asked: one line naming
/// the file and the problem.
public struct ResultsError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
