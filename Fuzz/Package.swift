// swift-tools-version:5.10
// libFuzzer targets for every reader of outside input (see docs/FUZZING.md). Built and run by
// `make fuzz` from the repository's root:
//   swift build --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import PackageDescription

let readers: [(name: String, dependencies: [Target.Dependency])] = [
  ("FuzzResultsCSV", [.product(name: "Experiments", package: "PrecisionLab")]),
  ("FuzzSweepFile", [.product(name: "Experiments", package: "PrecisionLab")]),
  ("FuzzSlurmManifest", [.product(name: "Experiments", package: "PrecisionLab")]),
  ("FuzzSafetensors", [.product(name: "Networks", package: "PrecisionLab")]),
  ("FuzzIDX", [.product(name: "Datasets", package: "PrecisionLab")]),
  ("FuzzCIFAR", [.product(name: "Datasets", package: "PrecisionLab")]),
  ("FuzzArchive", [.product(name: "Datasets", package: "PrecisionLab")]),
  ("FuzzSVHN", [.product(name: "Datasets", package: "PrecisionLab")]),
  ("FuzzNumberText", [.product(name: "Scalars", package: "PrecisionLab")]),
]

let package = Package(
  name: "PrecisionLabFuzz",
  dependencies: [.package(name: "PrecisionLab", path: "..")],
  targets: [.target(name: "CFuzzer"), .target(name: "FuzzSupport", dependencies: ["CFuzzer"])]
    + readers.map { .executableTarget(name: $0.name, dependencies: $0.dependencies + ["FuzzSupport"]) }
)
