/// A Slurm results folder, manifest or scheduler answer that does not allow what was asked: one line
/// naming the folder or tool and the problem.
public struct ClusterError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
