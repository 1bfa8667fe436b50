/// A problem with data on disk: one line naming the file and what is wrong.
public struct DataError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
  public init(file: String, _ problem: String) { self.description = "\(file): \(problem)" }
}
