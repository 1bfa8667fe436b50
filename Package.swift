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
    .executable(name: "precisionlab", targets: ["precisionlab"]),
    .executable(name: "precisionlab-bench", targets: ["precisionlab-bench"]),
    .executable(name: "precisionlab-verify", targets: ["precisionlab-verify"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/attaswift/BigInt", from: "6.0.0"),
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
    .target(name: "Scalars", dependencies: ["CMPFR", "ScalarsSupport"]),
    .target(name: "ScalarConformance", dependencies: ["Scalars"]),
    // Tensors and the kernels (matrix products with a chosen accumulation format and summation order).
    .target(name: "Tensors", dependencies: ["Scalars", "ScalarsSupport"]),
    // Dataset readers (IDX, CIFAR), synthetic data, preprocessing and mini-batches.
    .target(name: "Datasets", dependencies: ["CZlib", "Tensors", "Scalars"]),
    // Layers, losses and models generic over the scalar, with exact backprop.
    .target(name: "Networks", dependencies: ["Tensors", "Scalars"]),
    .executableTarget(
      name: "precisionlab",
      dependencies: ["Scalars", "Tensors", "Networks", "Datasets", .product(name: "ArgumentParser", package: "swift-argument-parser")]
    ),
    .executableTarget(name: "precisionlab-bench", dependencies: ["Scalars", "ScalarConformance", "Tensors", "Networks", "Datasets", "CMPFR"]),
    .executableTarget(name: "precisionlab-verify", dependencies: ["Scalars"]),
    .testTarget(
      name: "ScalarsTests",
      dependencies: ["Scalars", "ScalarConformance", "CMPFR", .product(name: "BigInt", package: "BigInt")]
    ),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tensors", "Scalars", "CZlib"]),
    // The precisionlab executable run as a user runs it.
    .testTarget(name: "CommandLineTests", dependencies: ["Networks", "Tensors", "Scalars", "Datasets"]),
    .testTarget(
      name: "NetworksTests",
      dependencies: ["Networks", "Tensors", "Scalars", .product(name: "BigInt", package: "BigInt")],
      exclude: ["Fixtures"]
    ),
  ]
)
