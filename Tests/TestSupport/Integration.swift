import Foundation

/// What integration tests need from outside the package, and whether they must run.
///
/// An integration test needs the real MNIST in `../shared`, a local Slurm cluster, OpenBLAS or
/// Debian's Fashion-MNIST. Where the piece is missing it is skipped with Swift Testing's
/// `.enabled(if: Integration.runs(present), "reason")`, and the run says why. When the environment
/// sets `PRECISIONLAB_REQUIRE_INTEGRATION=1` (`.ci/run` does) every such test runs anyway and fails
/// on the missing piece with its reason, so a green CI means every integration test was run.
public enum Integration {
  /// Whether skips of integration tests are forbidden (`PRECISIONLAB_REQUIRE_INTEGRATION=1`).
  public static let required = ProcessInfo.processInfo.environment["PRECISIONLAB_REQUIRE_INTEGRATION"] == "1"

  /// The condition for `.enabled(if:)`: the piece is present, or skipping is forbidden.
  public static func runs(_ present: Bool) -> Bool { present || required }

  /// The real MNIST's folder: `$PRECISIONLAB_SHARED/data/mnist` when that variable is set (`.ci/run`
  /// sets it for a clone made elsewhere), else `../shared/data/mnist` beside the checkout; nil when absent.
  public static let sharedMNIST: String? = {
    let shared = ProcessInfo.processInfo.environment["PRECISIONLAB_SHARED"].map { URL(fileURLWithPath: $0) }
      ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
    let path = shared.appendingPathComponent("data/mnist").path
    let names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    return names.allSatisfy { FileManager.default.fileExists(atPath: path + "/" + $0) } ? path : nil
  }()

  /// Why the MNIST tests cannot run, for their trait and their failure.
  public static let noMNIST = "../shared/data/mnist (the real MNIST beside the checkout) is absent"

  /// Debian's `dataset-fashion-mnist` folder, nil when the package is not installed.
  public static let debianFashionMNIST: String? =
    FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz") ? "/usr/share/datasets/fashion-mnist" : nil

  public static let noFashionMNIST = "Debian's dataset-fashion-mnist is not installed (make test installs it when root)"
}
