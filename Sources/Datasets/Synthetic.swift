import Foundation
import Scalars

/// Deterministic synthetic datasets that need no files, so every experiment runs on a machine with no
/// data at all.
public enum Synthetic {
  /// Gaussian class blobs: class centres N(0, 1) per feature, samples centre + spread·N(0, 1)
  /// (Box–Muller on counter-based draws), labels cycling 0, 1, …, classes − 1.
  public static func gaussianBlobs(count: Int, classes: Int, shape: [Int], spread: Double = 0.5, seed: UInt64) -> LabeledImages {
    let size = shape.reduce(1, *)
    func normal(_ a: Int, _ b: Int) -> Double {
      let u1 = 1 - CounterRandom.unit(seed, a, b, 1), u2 = CounterRandom.unit(seed, a, b, 2)
      return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
    var values: [Double] = []
    values.reserveCapacity(count * size)
    var labels: [Int] = []
    for i in 0..<count {
      let c = i % classes
      labels.append(c)
      for f in 0..<size { values.append(normal(-1 - c, f) + spread * normal(i, f)) }
    }
    return try! LabeledImages(name: "synthetic-blobs", sampleShape: shape, samples: .values(values), labels: labels, classes: classes, file: "synthetic")
  }

  /// Image-shaped data with MNIST's character: most pixels exactly 0, a class-dependent bright
  /// stroke (a horizontal and a vertical bar whose positions depend on the label) with noisy
  /// intensities, labels cycling through the classes. `zeroShare` of the pixels stay exactly 0
  /// outside the strokes (about 79% zeros in all at the defaults; MNIST's training images: 80%).
  public static func images(count: Int, classes: Int = 10, shape: [Int] = [1, 28, 28], zeroShare: Double = 0.85, seed: UInt64) -> LabeledImages {
    precondition(shape.count == 3, "image shape must be [channels, height, width]")
    let (c, h, w) = (shape[0], shape[1], shape[2])
    var pixels = [UInt8](repeating: 0, count: count * c * h * w)
    var labels: [Int] = []
    for i in 0..<count {
      let label = i % classes
      labels.append(label)
      let row = (h * (label + 1)) / (classes + 1), column = (w * (classes - label)) / (classes + 1)
      for ch in 0..<c {
        for y in 0..<h {
          for x in 0..<w {
            let k = ((i * c + ch) * h + y) * w + x
            let onStroke = y == row || x == column
            let u = CounterRandom.unit(seed, i, k)
            if onStroke {
              pixels[k] = UInt8(128 + Int(u * 127))
            } else if u > zeroShare {
              pixels[k] = UInt8(1 + Int(CounterRandom.unit(seed, i, k, 3) * 254))
            }
          }
        }
      }
    }
    return try! LabeledImages(name: "synthetic-images", sampleShape: shape, samples: .bytes(pixels), labels: labels, classes: classes, file: "synthetic")
  }
}
