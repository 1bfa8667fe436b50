import FuzzSupport
import Experiments
import Foundation

/// A Slurm results folder's `slurm.json` as `slurm status`, `resubmit` and `merge` read it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSlurmManifest(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  _ = InputFile.write(UnsafeRawBufferPointer(start: start, count: count), name: SlurmArray.manifestName)
  guard let array = try? SlurmArray.load(InputFile.folder) else { return 0 }
  for k in 1...min(array.shards, 1000) { _ = array.shardPath(InputFile.folder, k) }
  return 0
}

@_cdecl("FuzzSlurmManifest_main")
public func fuzzSlurmManifestMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  fuzzMain(argc, argv, fuzzSlurmManifest)
}
