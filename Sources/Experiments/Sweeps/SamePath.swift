import Foundation

/// Whether two paths name one file, so that an output never overwrites an input: the same device and
/// inode when both exist (hard links, symbolic links, `./a` and `a`), else the same absolute path
/// with the folder's symbolic links resolved.
public func samePath(_ a: String, _ b: String) -> Bool {
  var x = stat(), y = stat()
  if stat(a, &x) == 0 && stat(b, &y) == 0 { return x.st_dev == y.st_dev && x.st_ino == y.st_ino }
  func canonical(_ p: String) -> String {
    let absolute = p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
    let url = URL(fileURLWithPath: absolute).standardizedFileURL
    let folder = url.deletingLastPathComponent().path
    let resolved = realpath(folder, nil).map { r in defer { free(r) }; return String(cString: r) } ?? folder
    return resolved + "/" + url.lastPathComponent
  }
  return canonical(a) == canonical(b)
}

/// Refuses an output path that names one of the inputs (or another output): one line naming both.
public func checkDistinct(_ paths: [(option: String, path: String?)]) throws(ResultsError) {
  let given = paths.compactMap { p in p.path.map { (p.option, $0) } }
  for i in given.indices {
    for j in given.indices where j > i && samePath(given[i].1, given[j].1) {
      throw ResultsError("\(given[i].0) and \(given[j].0) name the same file (\(given[j].1)); the second would overwrite the first")
    }
  }
}
