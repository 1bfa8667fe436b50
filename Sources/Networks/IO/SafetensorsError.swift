/// A problem with a safetensors file: one line naming the file and what is wrong.
public struct SafetensorsError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
