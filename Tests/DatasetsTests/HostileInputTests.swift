import Datasets
import Foundation
import Testing

/// Downloads and archives built to hurt: a gzip that expands past what the file may hold, tar members
/// that point outside their folder, IDX headers whose sizes overflow. Each is refused with one error.
@Suite struct HostileInputTests {
  /// 64 MiB of zeros compress to about 64 KiB: decompression stops at the limit, not at the end.
  @Test func gzipStopsAtItsLimit() throws {
    let bomb = gzipped([UInt8](repeating: 0, count: 64 << 20))
    #expect(bomb.count < 100_000)
    #expect(throws: DataError(file: "bomb.gz", "decompresses to more than 1000000 bytes, the most this file may hold")) {
      _ = try Gzip.decompress(bomb, file: "bomb.gz", limit: 1_000_000)
    }
    #expect(try Gzip.decompress(bomb, file: "bomb.gz", limit: 64 << 20).count == 64 << 20)
  }

  /// A mirror (a local folder here) serving a gzip bomb under a catalog name: refused before it
  /// expands past the file's size, nothing stored.
  @Test func fetchRefusesAFileThatExpandsPastItsSize() throws {
    let mirror = FileManager.default.temporaryDirectory.appendingPathComponent("precisionlab-mirror-\(UUID().uuidString)").path
    let data = mirror + "-data"
    try FileManager.default.createDirectory(atPath: mirror, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: mirror); try? FileManager.default.removeItem(atPath: data) }
    FileManager.default.createFile(atPath: mirror + "/labels.gz", contents: Data(gzipped([UInt8](repeating: 7, count: 8 << 20))))
    let dataset = DatasetDescriptor(name: "tiny", files: [.init(name: "labels.gz", sha256: String(repeating: "0", count: 64), size: 60_008)], mirrors: [], classes: 10)
    var fetcher = Fetcher(dataDirectory: data)
    fetcher.extraMirrors = [mirror]
    fetcher.useBuiltInMirrors = false
    #expect(throws: DataError.self) { _ = try fetcher.fetch(dataset) }
    do { _ = try fetcher.fetch(dataset) } catch { #expect(error.description.contains("decompresses to more than 60008 bytes"), "\(error)") }
    #expect(!FileManager.default.fileExists(atPath: data + "/tiny/labels.gz"))
    // A file bigger than any gzip of the file could be is not even read.
    FileManager.default.createFile(atPath: mirror + "/labels.gz", contents: Data(count: 200_000))
    do { _ = try fetcher.fetch(dataset) } catch { #expect(error.description.contains("is 200000 bytes, more than the 61037 this file may take"), "\(error)") }
  }

  /// Tar members named `../x` or `/x` (written by Python's tarfile, which does not refuse them).
  @Test func tarRefusesNamesOutsideItsFolder() throws {
    for name in ["../evil", "/etc/evil", "a/../../evil"] {
      let path = FileManager.default.temporaryDirectory.appendingPathComponent("precisionlab-\(UUID().uuidString).tar").path
      defer { try? FileManager.default.removeItem(atPath: path) }
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      p.arguments = ["python3", "-c", """
        import io, sys, tarfile
        with tarfile.open(sys.argv[1], "w", format=tarfile.USTAR_FORMAT) as t:
            for n in ("ok.bin", sys.argv[2]):
                i = tarfile.TarInfo(n); i.size = 3; t.addfile(i, io.BytesIO(b"abc"))
        """, path, name]
      try p.run()
      p.waitUntilExit()
      let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
      #expect(throws: DataError(file: "a.tar", "tar member '\(name)' points outside the archive's folder (absolute, or with '..'); refusing the archive")) {
        _ = try Tar.entries(bytes, file: "a.tar")
      }
    }
  }

  /// Header dimensions whose product overflows Int, and a rank that announces more header than there is.
  @Test func idxHeadersThatOverflow() throws {
    let absurd: [UInt8] = [0, 0, 8, 3] + [UInt8](repeating: 0xFF, count: 12) + [1, 2, 3]
    #expect(throws: DataError(file: "x", "IDX header announces 4294967295x4294967295x4294967295 bytes of data, more than any file holds; the file has 3")) {
      _ = try IDXArray(bytes: absurd, file: "x")
    }
    #expect(throws: DataError(file: "x", "IDX header truncated (255 dimensions announced)")) { _ = try IDXArray(bytes: [0, 0, 8, 255, 0, 0], file: "x") }
  }

  /// The built-in mirrors: encrypted ones before plain HTTP, and every file's size or size limit known,
  /// so a download can be capped.
  @Test func catalogPrefersHTTPSAndKnowsSizes() {
    for dataset in DatasetDescriptor.all {
      let remote = dataset.mirrors.filter { !$0.hasPrefix("file://") }
      let firstPlain = remote.firstIndex { $0.hasPrefix("http://") } ?? remote.count
      #expect(remote[firstPlain...].allSatisfy { $0.hasPrefix("http://") }, "\(dataset.name): \(remote)")
      #expect(dataset.files.allSatisfy { $0.downloadLimit != nil }, "\(dataset.name)")
    }
    #expect(DatasetDescriptor.mnist.files.map(\.size) == [47_040_016, 60_008, 7_840_016, 10_008])
    #expect(DatasetDescriptor.cifar10.archiveSize == 170_052_171)
    // SVHN's sizes are not published: each file is capped by its arrays stored uncompressed, plus framing.
    let images = [73_257, 26_032, 531_131]
    let limits: [Int?] = images.map { (n: Int) -> Int? in n * 3080 + n * 3080 / 1000 + (1 << 20) }
    #expect(DatasetDescriptor.svhn.files.map(\.sizeLimit) == limits)
  }
}
