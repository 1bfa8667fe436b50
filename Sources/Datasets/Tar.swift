import Foundation

/// Reading (uncompressed) tar archives in the ustar and GNU layouts: the regular files and their
/// contents. Enough for dataset archives; links, devices and sparse files are skipped, and a member
/// named with a leading `/` or a `..` component is refused.
public enum Tar {
  public struct Entry: Sendable {
    public let path: String
    public let contents: [UInt8]
  }

  public static func entries(_ bytes: [UInt8], file: String) throws(DataError) -> [Entry] {
    var entries: [Entry] = []
    var offset = 0
    func field(_ start: Int, _ length: Int) -> [UInt8] {
      Array(bytes[(offset + start)..<(offset + start + length)].prefix { $0 != 0 })
    }
    while offset + 512 <= bytes.count {
      if bytes[offset..<(offset + 512)].allSatisfy({ $0 == 0 }) { return entries }  // end of archive
      let name = String(decoding: field(0, 100), as: UTF8.self)
      let prefix = String(decoding: field(345, 155), as: UTF8.self)
      let sizeText = String(decoding: field(124, 12), as: UTF8.self).trimmingCharacters(in: .whitespaces)
      guard let size = Int(sizeText.isEmpty ? "0" : sizeText, radix: 8), size >= 0 else {
        throw DataError(file: file, "tar header at byte \(offset) has an unreadable size")
      }
      let type = bytes[offset + 156]
      let start = offset + 512
      guard start + size <= bytes.count else {
        throw DataError(file: file, "tar archive truncated inside '\(name)' (\(size) bytes announced)")
      }
      if type == 0x30 || type == 0 {  // regular file
        let path = prefix.isEmpty ? name : prefix + "/" + name
        // A member may only name a place inside the folder it is extracted to.
        guard !path.hasPrefix("/"), !path.split(separator: "/", omittingEmptySubsequences: false).contains("..") else {
          throw DataError(file: file, "tar member '\(path)' points outside the archive's folder (absolute, or with '..'); refusing the archive")
        }
        entries.append(Entry(path: path, contents: Array(bytes[start..<(start + size)])))
      }
      offset = start + (size + 511) / 512 * 512
    }
    throw DataError(file: file, "tar archive truncated (no end-of-archive blocks)")
  }
}
