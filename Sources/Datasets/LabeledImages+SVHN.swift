extension LabeledImages {
  /// An SVHN split from its `.mat` file (train_32x32.mat, test_32x32.mat or extra_32x32.mat): the
  /// array `X` of 32×32×3×N bytes (MATLAB's column-major order: row, column, channel, image) and `y`
  /// of N labels 1…10, where 10 is the digit 0. Samples come out as [3, 32, 32] bytes per image, as
  /// torchvision's `SVHN` gives them (transposed to image, channel, row, column), label 10 as 0.
  public static func svhn(_ path: String, name: String = "svhn") throws(DataError) -> LabeledImages {
    let arrays = try MATFile.arrays(try read(path), file: path)
    guard let x = arrays["X"], let y = arrays["y"] else {
      throw DataError(file: path, "not an SVHN file: no arrays 'X' and 'y' (arrays: \(arrays.keys.sorted().joined(separator: ", ")))")
    }
    guard x.dimensions.count == 4, x.dimensions[0] == 32, x.dimensions[1] == 32, x.dimensions[2] == 3, case .bytes(let pixels) = x.values else {
      throw DataError(file: path, "'X' is not 32×32×3×N bytes (dimensions \(x.dimensions))")
    }
    let n = x.dimensions[3]
    guard y.values.count == n, case .doubles(let values) = y.values else {
      throw DataError(file: path, "'y' holds \(y.values.count) labels for \(n) images")
    }
    var labels: [Int] = []
    labels.reserveCapacity(n)
    for (i, v) in values.enumerated() {
      guard v == v.rounded(), v >= 1, v <= 10 else { throw DataError(file: path, "label \(v) of image \(i) is not one of 1…10") }
      labels.append(v == 10 ? 0 : Int(v))
    }
    // X(row, column, channel, image) sits at row + 32·column + 1024·channel + 3072·image.
    var samples = [UInt8](repeating: 0, count: pixels.count)
    pixels.withUnsafeBufferPointer { source in
      samples.withUnsafeMutableBufferPointer { target in
        for image in 0..<n {
          for channel in 0..<3 {
            for row in 0..<32 {
              for column in 0..<32 {
                target[image * 3072 + channel * 1024 + row * 32 + column] = source[row + 32 * column + 1024 * channel + 3072 * image]
              }
            }
          }
        }
      }
    }
    return try LabeledImages(name: name, sampleShape: [3, 32, 32], samples: .bytes(samples), labels: labels, classes: 10, file: path)
  }
}
