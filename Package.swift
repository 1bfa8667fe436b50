// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "PrecisionLab",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "Scalars", targets: ["Scalars"]),
    .library(name: "ScalarConformance", targets: ["ScalarConformance"]),
    .library(name: "Networks", targets: ["Tensors", "Networks"]),
    .library(name: "Datasets", targets: ["Datasets"]),
    .library(name: "Experiments", targets: ["Experiments"]),
    .executable(name: "precisionlab", targets: ["precisionlab"]),
    .executable(name: "precisionlab-bench", targets: ["precisionlab-bench"]),
    .executable(name: "precisionlab-verify", targets: ["precisionlab-verify"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.6.0"),
    .package(url: "https://github.com/attaswift/BigInt", from: "6.0.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
  ],
  targets: [
    // GNU MPFR from the system (Debian: libmpfr-dev; Homebrew: mpfr).
    .systemLibrary(
      name: "CMPFR",
      pkgConfig: "mpfr",
      providers: [.apt(["libmpfr-dev"]), .brew(["mpfr"])]
    ),
    // zlib from the system, for gzip-compressed datasets (Debian: zlib1g-dev).
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
    // Per-thread rounding environment and the few MPFR calls Swift cannot make (variadic printf).
    .target(name: "ScalarsSupport", dependencies: ["CMPFR"]),
    // The git commit the binary was compiled from, stamped before every build (provenance of results).
    .plugin(name: "BuildStamp", capability: .buildTool()),
    .target(name: "BuildInfo", plugins: ["BuildStamp"]),
    .target(name: "Scalars", dependencies: ["CMPFR", "ScalarsSupport"]),
    .target(name: "ScalarConformance", dependencies: ["Scalars"]),
    // Tensors and the kernels (matrix products with a chosen accumulation format and summation order).
    .target(name: "Tensors", dependencies: ["Scalars", "ScalarsSupport", "CKernels"]),
    // The binary32/binary64 matrix-product kernels (C with AVX2 intrinsics, chosen at run time; fixed
    // summation order, bit-identical to the generic loop).
    .target(name: "CKernels"),
    // Dataset readers (IDX, CIFAR), synthetic data, preprocessing and mini-batches.
    .target(name: "Datasets", dependencies: ["CZlib", "Tensors", "Scalars"]),
    // Layers, losses and models generic over the scalar, with exact backprop.
    // The studies' generic measurement loops live here too (Studies/), so that they are specialised for
    // every format together with the layers they call.
    .target(name: "Networks", dependencies: ["Tensors", "Scalars", "Datasets", "CMPFR"]),
    // Experiments as grids of trials: options, sweeps (resumable CSV, parallel jobs, shards), merging,
    // summaries with confidence intervals, SVG plots.
    .target(name: "Experiments", dependencies: ["BuildInfo", "Networks", "Datasets", "Scalars", "Tensors", .product(name: "Yams", package: "Yams")]),
    .executableTarget(
      name: "precisionlab",
      dependencies: ["Scalars", "Tensors", "Networks", "Datasets", "Experiments", .product(name: "ArgumentParser", package: "swift-argument-parser")]
    ),
    .executableTarget(name: "precisionlab-bench", dependencies: ["Scalars", "ScalarConformance", "Tensors", "Networks", "Datasets", "CMPFR"]),
    .executableTarget(name: "precisionlab-verify", dependencies: ["Scalars"]),
    // One test target per library module (Tests/ mirrors Sources/), and the executable run as a user runs it.
    // What the test targets share: where the integration tests' pieces are, and whether they must run.
    .target(name: "TestSupport", path: "Tests/TestSupport"),
    .testTarget(
      name: "ScalarsTests",
      dependencies: ["Scalars", "ScalarConformance", "CMPFR", .product(name: "BigInt", package: "BigInt")]
    ),
    .testTarget(name: "ScalarConformanceTests", dependencies: ["ScalarConformance", "Scalars"]),
    .testTarget(name: "TensorsTests", dependencies: ["Tensors", "Scalars", "CKernels", "TestSupport"]),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tensors", "Scalars", "CZlib", "TestSupport"]),
    .testTarget(
      name: "NetworksTests",
      dependencies: ["Networks", "Tensors", "Scalars", "Datasets", "TestSupport", .product(name: "BigInt", package: "BigInt")],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "ExperimentsTests", dependencies: ["Experiments", "Networks", "Tensors", "Scalars", "Datasets", "CMPFR", "TestSupport"],
      exclude: ["Fixtures"]
    ),
    .testTarget(name: "CommandLineTests", dependencies: ["Networks", "Tensors", "Scalars", "Datasets", "Experiments", "TestSupport"]),
  ]
)
