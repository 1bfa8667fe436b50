import Dispatch
import Foundation
import Networks
import ScalarConformance
import Scalars


@inline(never) func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

/// Best of `repeats` timings of `body`, in seconds.
func time(repeats: Int = 5, _ body: () -> Void) -> Double { Stopwatch.best(repeats: repeats, body) }

enum Op: String, CaseIterable { case add, mul, div, sqrt, fma }

/// ns per operation of `op` over arrays of `n` values, `rounds` times.
func nsPerOp<T: PrecisionScalar>(_: T.Type, _ op: Op, mode: RoundingMode, n: Int, rounds: Int) -> Double {
  var g = SplitMix64(seed: 42)
  let a = (0..<n).map { _ in T(0.5 + 1.5 * Double(g.next() >> 11) * 0x1p-53) }
  let b = (0..<n).map { _ in T(0.5 + 1.5 * Double(g.next() >> 11) * 0x1p-53) }
  var out = a
  let seconds = RoundingEnvironment.with(mode, seed: 1) {
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        out.withUnsafeMutableBufferPointer { out in
          time {
            for _ in 0..<rounds {
              switch op {
              case .add: for i in 0..<n { out[i] = a[i] + b[i] }
              case .mul: for i in 0..<n { out[i] = a[i] * b[i] }
              case .div: for i in 0..<n { out[i] = a[i] / b[i] }
              case .sqrt: for i in 0..<n { out[i] = a[i].squareRoot() }
              case .fma: for i in 0..<n { T.fusedMultiplyAccumulate(&out[i], a[i], b[i]) }
              }
              blackHole(out.baseAddress)
            }
          }
        }
      }
    }
  }
  return seconds / Double(n * rounds) * 1e9
}

nonisolated(unsafe) var report: [String] = []
func emit(_ line: String = "") {
  print(line)
  report.append(line)
}

func row<T: PrecisionScalar>(_ type: T.Type, _ label: String, modes: [RoundingMode], n: Int, rounds: Int) {
  for mode in modes {
    let cells = Op.allCases.map { String(format: "%.1f", nsPerOp(T.self, $0, mode: mode, n: n, rounds: rounds)) }
    emit("| \(label) | \(mode) | " + cells.joined(separator: " | ") + " |")
  }
}



/// The `--torch PYTHON` interpreter (a virtual environment with torch), if given.
var torchPython: String? { arguments.torch }
let peerDirectory = ProcessInfo.processInfo.environment["PRECISIONLAB_PEERS"] ?? "../shared/bench"

/// Runs a peer script (from `directory`, the shared peers by default) and returns its standard output
/// (empty when it fails).
func peer(_ script: String, _ arguments: [String], directory: String = peerDirectory) -> String {
  guard let python = torchPython else { return "" }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: python)
  process.arguments = [directory + "/" + script] + arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  do { try process.run() } catch { return "" }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : ""
}

/// The number after `key=` or before ` key` in a peer's output line.
func field(_ line: Substring, after key: String) -> Double? {
  guard let r = line.range(of: key) else { return nil }
  return Double(line[r.upperBound...].prefix { !$0.isWhitespace })
}


/// Runs the precisionlab executable beside this one; returns wall seconds and peak resident memory
/// (bytes), or nil when it cannot run or fails.
func runPrecisionLab(_ arguments: [String]) -> (seconds: Double, peakBytes: Int)? {
  let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("precisionlab").path
  guard FileManager.default.isExecutableFile(atPath: executable) else { return nil }
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
  var argv = ([executable] + arguments).map { strdup($0) } + [nil]
  defer { argv.forEach { free($0) } }
  var pid: pid_t = 0
  let start = DispatchTime.now().uptimeNanoseconds
  guard posix_spawn(&pid, executable, &actions, nil, &argv, environ) == 0 else { return nil }
  var status: Int32 = 0
  var usage = rusage()
  while wait4(pid, &status, 0, &usage) == -1 && errno == EINTR {}
  let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  guard status == 0 else { return nil }
  return (seconds, usage.ru_maxrss * 1024)  // Linux reports kilobytes
}

/// Where MNIST's four IDX files are (`$PRECISIONLAB_MNIST`, else the team's copy beside the checkout).
let mnistData = ProcessInfo.processInfo.environment["PRECISIONLAB_MNIST"] ?? "../shared/data/mnist"

/// Where Fashion-MNIST's four IDX files are (`$PRECISIONLAB_FASHION_MNIST`, else Debian's package).
let fashionData = ProcessInfo.processInfo.environment["PRECISIONLAB_FASHION_MNIST"] ?? "/usr/share/datasets/fashion-mnist"

/// This repository's own peer scripts (`scripts/bench`), for what the shared peers do not run.
let ownPeerDirectory = ProcessInfo.processInfo.environment["PRECISIONLAB_OWN_PEERS"] ?? "scripts/bench"
