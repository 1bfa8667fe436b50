import FuzzSupport
import Experiments
import Foundation

/// A YAML or JSON sweep file as `sweep` reads it, then the grid it describes (its size checked
/// before anything is enumerated).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSweepFile(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let path = InputFile.write(UnsafeRawBufferPointer(start: start, count: count), name: "sweep.yaml")
  guard let sweep = try? SweepFile.load(path) else { return 0 }
  if let grid = try? Grid(sweep.experiment, values: sweep.values, runs: sweep.runs, seeds: sweep.seeds), grid.count <= 100 {
    _ = grid.trials(shard: nil).count
  }
  return 0
}

@_cdecl("FuzzSweepFile_main")
public func fuzzSweepFileMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  fuzzMain(argc, argv, fuzzSweepFile)
}
