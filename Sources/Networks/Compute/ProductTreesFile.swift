import Foundation
import Tensors

/// Reads the JSON file of `scripts/reveal-torch-gemm.py` (`--summation tree:FILE`) into
/// `ProductTrees`, once per path and process.
///
/// The file: `{"key": {...}, "products": [{"role": "forward", "m": 256, "n": 256, "k": 784, "parts":
/// [{"columns": [[0, 256]], "summation": "blocked:192", "fused": true, "bias": "first"}]}]}`; `bias`
/// (`first` or `last`, default `last`) only for the forward role.
public enum ProductTreesFile {
  private static let cache = Mutex()

  public static func load(_ path: String) throws(ReadError) -> ProductTrees {
    if let trees = cache.get(path) { return trees }
    let trees = try read(path)
    cache.set(path, trees)
    return trees
  }

  static func read(_ path: String) throws(ReadError) -> ProductTrees {
    let fail = { (why: String) in ReadError(description: "--summation tree:\(path): \(why)") }
    guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot read the file") }
    guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
      let products = root["products"] as? [[String: Any]]
    else { throw fail("not a tree file of scripts/reveal-torch-gemm.py (no products)") }
    var key: [String: String] = [:]
    for (name, value) in root["key"] as? [String: Any] ?? [:] { key[name] = "\(value)" }
    var table: [ProductTrees.Shape: [ProductTrees.Part]] = [:]
    for (index, product) in products.enumerated() {
      guard let roleName = product["role"] as? String, let role = ProductTrees.Role(rawValue: roleName),
        let m = product["m"] as? Int, let n = product["n"] as? Int, let k = product["k"] as? Int, m > 0, n > 0, k > 0,
        let parts = product["parts"] as? [[String: Any]], !parts.isEmpty
      else { throw fail("product \(index): expected role (forward, input or weight), m, n, k and parts") }
      let shape = ProductTrees.Shape(role, m: m, n: n, k: k)
      var decoded: [ProductTrees.Part] = []
      for part in parts {
        guard let columns = part["columns"] as? [[Int]], columns.allSatisfy({ $0.count == 2 && $0[0] < $0[1] }),
          let name = part["summation"] as? String, let order = KernelOptions.SummationOrder(name: name), order != .blas,
          let fused = part["fused"] as? Bool
        else { throw fail("\(shape): a part needs columns [[start, end], ...], summation (not blas) and fused") }
        let bias = part["bias"] as? String ?? "last"
        guard bias == "first" || bias == "last" else { throw fail("\(shape): bias must be first or last, not \(bias)") }
        decoded.append(
          ProductTrees.Part(columns: columns.map { $0[0]..<$0[1] }, options: KernelOptions(order: order, fused: fused, biasFirst: bias == "first")))
      }
      guard table[shape] == nil else { throw fail("\(shape) given twice") }
      table[shape] = decoded
    }
    let trees = ProductTrees(key: key, products: table)
    if let problem = trees.problem { throw fail(problem) }
    return trees
  }

  /// The products a dense network of `widths` computes on a batch of `batch` rows: per layer the
  /// forward, the weight gradient and the input gradient.
  public static func shapes(widths: [Int], batch: Int) -> [ProductTrees.Shape] {
    zip(widths, widths.dropFirst()).flatMap { fanIn, fanOut in
      [
        ProductTrees.Shape(.forward, m: batch, n: fanOut, k: fanIn), ProductTrees.Shape(.weight, m: fanOut, n: fanIn, k: batch),
        ProductTrees.Shape(.input, m: batch, n: fanIn, k: fanOut),
      ]
    }
  }

  /// The `--summation pytorch-cpu` preset: the first tree file in `directories` (in order; JSON files in
  /// name order) read on this CPU model, with one thread, from `nn.Linear` itself (not `--bias after`).
  public static func stored(cpu: String, in directories: [String]) -> String? {
    for directory in directories {
      let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
      for name in names {
        let path = (directory as NSString).appendingPathComponent(name)
        guard let trees = try? load(path) else { continue }
        if trees.key["cpu"] == cpu, trees.key["threads"] == "1", trees.key["forward"] == "nn.Linear (addmm)" { return path }
      }
    }
    return nil
  }

  /// A tree file that cannot be read or used: one line naming the file and the problem.
  public struct ReadError: Error, CustomStringConvertible {
    public let description: String
  }

  private final class Mutex: @unchecked Sendable {
    private let lock = NSLock()
    private var loaded: [String: ProductTrees] = [:]
    func get(_ path: String) -> ProductTrees? { lock.withLock { loaded[path] } }
    func set(_ path: String, _ trees: ProductTrees) { lock.withLock { loaded[path] = trees } }
  }
}
