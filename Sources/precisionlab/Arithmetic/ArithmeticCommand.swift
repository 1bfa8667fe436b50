import ArgumentParser
import Datasets
import Foundation
import Networks
import Tensors

/// `precisionlab arithmetic reveal`: reads the summation trees of PyTorch's CPU products on this machine
/// (scripts/reveal-torch-gemm.py under a Python with torch) and stores them where `--summation
/// pytorch-cpu` finds them.
struct ArithmeticCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "arithmetic", abstract: "Read what a library's arithmetic computes, to replay it.", subcommands: [Reveal.self])

  struct Reveal: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Read PyTorch's CPU summation trees for an MLP's products and store them for --summation pytorch-cpu.",
      discussion: """
        Runs SCRIPT (scripts/reveal-torch-gemm.py) with PYTHON, which needs torch and numpy, on this CPU and \
        thread count, for every dense product of the MLP (forward, input and weight gradients) at each batch \
        size. Writes DIR/arithmetic/pytorch-cpu-MODEL-ISA-Tthread.json (DIR: --data-dir, $PRECISIONLAB_DATA or \
        ./data), named by the CPU model, PyTorch's instruction set and the thread count. A product whose tree \
        is outside PrecisionLab's summation family stops the reveal with nothing written.
        """)

    @Option(help: ArgumentHelp("A Python with torch and numpy (a virtual environment's bin/python).", valueName: "path"))
    var python: String

    @Option(help: ArgumentHelp("The reveal script.", valueName: "path"))
    var script = "scripts/reveal-torch-gemm.py"

    @Option(help: ArgumentHelp("MLP layer sizes, input and output included.", valueName: "w0,w1,..."))
    var widths = "784,256,256,256,10"

    @Option(name: .customLong("batch-size"), help: ArgumentHelp("Batch sizes (the run's, and the last, shorter batch's).", valueName: "b,b,..."))
    var batchSizes = "256,96"

    @Option(help: ArgumentHelp("PyTorch's threads (torch.set_num_threads).", valueName: "n"))
    var threads = 1

    @Option(help: ArgumentHelp("The forward as nn.Linear computes it (linear) or as x @ W.t() + b (after).", valueName: "linear|after"))
    var bias = "linear"

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Data directory (default: $PRECISIONLAB_DATA, else ./data).", valueName: "dir"))
    var dataDir: String?

    func validate() throws {
      guard FileManager.default.isExecutableFile(atPath: python) else { throw ValidationError("--python \(python): not an executable file") }
      guard FileManager.default.fileExists(atPath: script) else {
        throw ValidationError("--script \(script): no such file (run from the repository's top folder, or give --script PATH)")
      }
      let w = widths.split(separator: ",").map { Int($0) }
      guard w.count >= 2, w.allSatisfy({ ($0 ?? 0) >= 1 }) else {
        throw ValidationError("--widths: expected at least two positive integers, got '\(widths)'")
      }
      guard batchSizes.split(separator: ",").allSatisfy({ (Int($0) ?? 0) >= 1 }) else {
        throw ValidationError("--batch-size: expected positive integers, got '\(batchSizes)'")
      }
      guard threads >= 1 else { throw ValidationError("--threads: at least 1, got \(threads)") }
      guard ["linear", "after"].contains(bias) else { throw ValidationError("--bias: linear or after, got '\(bias)'") }
    }

    func run() throws {
      let folder = (resolveDataDirectory(dataDir) as NSString).appendingPathComponent("arithmetic")
      do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
        throw failWithIOError("cannot create \(folder): \(error.localizedDescription)")
      }
      let temporary = (folder as NSString).appendingPathComponent(".reveal-\(getpid()).json")
      defer { try? FileManager.default.removeItem(atPath: temporary) }
      var arguments = [script, "--widths", widths, "--threads", "\(threads)", "--bias", bias, "--out", temporary]
      for b in batchSizes.split(separator: ",") { arguments += ["--batch", String(b)] }
      let process = Process()
      process.executableURL = URL(fileURLWithPath: python)
      process.arguments = arguments
      do { try process.run() } catch { throw failWithUnavailable("cannot run \(python): \(error.localizedDescription)") }
      process.waitUntilExit()
      guard process.terminationStatus == 0 else {
        throw failWithUnavailable("\(script) exited with status \(process.terminationStatus); nothing stored")
      }
      let trees: ProductTrees
      do throws(ProductTreesFile.ReadError) { trees = try ProductTreesFile.load(temporary) } catch { throw failWithDataError(error.description) }
      func slug(_ text: String) -> String {
        text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }.reduce(into: "") { out, c in
          if c != "-" || (out.last != "-" && !out.isEmpty) { out.append(c) }
        }.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
      }
      let name = "pytorch-cpu-\(slug(trees.key["cpu"] ?? "cpu"))-\(slug(trees.key["isa"] ?? "isa"))-\(threads)thread\(bias == "after" ? "-bias-after" : "").json"
      let destination = (folder as NSString).appendingPathComponent(name)
      guard rename(temporary, destination) == 0 else { throw failWithIOError("cannot write \(destination): \(String(cString: strerror(errno)))") }
      print("\(destination): \(trees.products.count) products (\(trees.key.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))")
      print("use: --summation " + (bias == "linear" && threads == 1 ? "pytorch-cpu (or tree:\(destination))" : "tree:\(destination)"))
    }
  }
}
