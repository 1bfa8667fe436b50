import Datasets
import Foundation
import Scalars
import Testing
import TestSupport

@Suite struct ReaderTests {
  @Test func sha256KnownAnswers() {
    #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
  }

  /// RFC 1321's test suite (appendix A.5), then coreutils' md5sum on lengths around the padding edges.
  @Test func md5KnownAnswersAndAgreesWithMd5sum() throws {
    let suite: [(String, String)] = [
      ("", "d41d8cd98f00b204e9800998ecf8427e"),
      ("a", "0cc175b9c0f1b6a831c399e269772661"),
      ("abc", "900150983cd24fb0d6963f7d28e17f72"),
      ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
      ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
      ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
      (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
    ]
    for (text, digest) in suite { #expect(MD5.hex(Array(text.utf8)) == digest, "\(text)") }
    for length in [55, 56, 63, 64, 65, 119, 120, 1000, 100_003] {
      let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
      let path = temporaryFile("md5", bytes)
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      p.arguments = ["md5sum", path]
      let out = Pipe()
      p.standardOutput = out
      try p.run()
      let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
      p.waitUntilExit()
      #expect(MD5.hex(bytes) == String(text.prefix(32)), "length \(length)")
    }
  }

  @Test func gzipRoundTripAndTruncation() throws {
    let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7 / 3) }
    let compressed = gzipped(data)
    #expect(try Gzip.decompress(compressed, file: "x.gz") == data)
    #expect(throws: DataError(file: "x.gz", "truncated gzip data (the stream ends before its end marker)")) {
      _ = try Gzip.decompress(Array(compressed.prefix(compressed.count / 2)), file: "x.gz")
    }
    var corrupt = compressed
    corrupt[20] ^= 0xFF
    corrupt[21] ^= 0xFF
    #expect(throws: DataError.self) { _ = try Gzip.decompress(corrupt, file: "x.gz") }
  }

  @Test func idxPairReadsRawAndGzipped() throws {
    let images = temporaryFile("i.gz", gzipped(idxBytes([3, 2, 2], Array(0..<12))))
    let labels = temporaryFile("l", idxBytes([3], [2, 0, 1]))
    let set = try LabeledImages.idx(images: images, labels: labels, classes: 3)
    #expect(set.count == 3 && set.sampleShape == [1, 2, 2] && set.labels == [2, 0, 1] && set.labelCounts == [1, 1, 1])
  }

  /// Each bad input gets one line naming the file and the problem.
  @Test func badInputs() throws {
    let goodImages = temporaryFile("i", idxBytes([2, 2, 2], Array(0..<8)))
    let goodLabels = temporaryFile("l", idxBytes([2], [0, 1]))
    let cases: [(String, String, String)] = [
      (temporaryFile("i.gz", Array(gzipped(idxBytes([2, 2, 2], Array(0..<8))).prefix(20))), goodLabels, "truncated gzip data"),
      (temporaryFile("i", [1, 2, 3, 4] + Array(repeating: 0, count: 8)), goodLabels, "not an IDX file (wrong magic number 01020304)"),
      (temporaryFile("i", idxBytes([2, 2, 2], Array(0..<7))), goodLabels, "IDX header announces 2x2x2 = 8 bytes of data, the file has 7"),
      (temporaryFile("i", idxBytes([2, 2, 2], Array(0..<8), type: 0x0D)), goodLabels, "IDX element type 0xd is not supported"),
      (goodImages, temporaryFile("l", idxBytes([3], [0, 1, 1])), "3 labels for 2 images"),
      (goodImages, temporaryFile("l", idxBytes([2], [0, 12])), "label 12 at index 1 is outside 0..<10"),
      ("/nonexistent/images", goodLabels, "does not exist"),
    ]
    for (images, labels, message) in cases {
      do {
        _ = try LabeledImages.idx(images: images, labels: labels)
        Issue.record("\(message): accepted")
      } catch {
        #expect(error.description.contains(message), "\(error)")
        #expect(error.description.hasPrefix(images) || error.description.hasPrefix(labels), "\(error)")
        #expect(!error.description.contains("\n"))
      }
    }
  }

  @Test func cifarBatches() throws {
    var records: [UInt8] = []
    for r in 0..<3 { records += [UInt8(r * 4)] + (0..<3072).map { UInt8(truncatingIfNeeded: $0 + r) } }
    let file = temporaryFile("data_batch_1.bin", records)
    let set = try LabeledImages.cifar(batches: [file])
    #expect(set.count == 3 && set.labels == [0, 4, 8] && set.sampleShape == [3, 32, 32])
    #expect(throws: DataError.self) { _ = try LabeledImages.cifar(batches: [temporaryFile("short.bin", Array(records.prefix(5000)))]) }
    let bad = temporaryFile("bad.bin", [UInt8(12)] + Array(records.dropFirst()))
    #expect(throws: DataError(file: bad, "label 12 at record 0 is outside 0..<10")) { _ = try LabeledImages.cifar(batches: [bad]) }
  }

  /// The real MNIST in ../shared: the decompressed files' SHA-256 and the label counts of its README.
  @Test(.enabled(if: Integration.runs(Integration.sharedMNIST != nil), Comment(rawValue: Integration.noMNIST)))
  func realMNIST() throws {
    let dir = try #require(Integration.sharedMNIST, Comment(rawValue: Integration.noMNIST))
    let train = try LabeledImages.idx(images: dir + "/train-images-idx3-ubyte.gz", labels: dir + "/train-labels-idx1-ubyte.gz", name: "mnist")
    #expect(train.count == 60000 && train.sampleShape == [1, 28, 28])
    #expect(train.labelCounts == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    let test = try LabeledImages.idx(images: dir + "/t10k-images-idx3-ubyte.gz", labels: dir + "/t10k-labels-idx1-ubyte.gz")
    #expect(test.labelCounts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    let labels = try Gzip.decompress([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/t10k-labels-idx1-ubyte.gz"))), file: "t10k")
    #expect(SHA256.hex(labels) == "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2")
    // The catalog's sizes (which cap downloads) are the real files' decompressed sizes.
    for file in DatasetDescriptor.mnist.files {
      let bytes = try Gzip.decompress([UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + file.name))), file: file.name)
      #expect(bytes.count == file.size, "\(file.name)")
    }
    if case .bytes(let pixels) = train.samples {
      let zeros = pixels.reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
      #expect(zeros * 100 / pixels.count == 80)  // MNIST is about 80% exact-zero pixels
    }
  }
}
