import Foundation

/// The cores this process may use: a Slurm task's allocation (`SLURM_CPUS_PER_TASK`) when set, else
/// the CPUs its affinity mask allows (`taskset`, container CPU sets; Linux `/proc/self/status`),
/// capped by a cgroup v2 CPU quota (`/sys/fs/cgroup/cpu.max`), else Foundation's processor count.
func availableCores() -> Int {
  let environment = ProcessInfo.processInfo.environment
  if let text = environment["SLURM_CPUS_PER_TASK"], let n = Int(text), n >= 1 { return n }
  var cores = ProcessInfo.processInfo.activeProcessorCount
  if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
    let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
    let allowed = cpuListCount(line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces))
  {
    cores = allowed
  }
  if let quota = try? String(contentsOfFile: "/sys/fs/cgroup/cpu.max", encoding: .utf8) {
    let fields = quota.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    if fields.count == 2, let q = Double(fields[0]), let period = Double(fields[1]), period > 0 {
      cores = min(cores, Int((q / period).rounded(.up)))
    }
  }
  return max(1, cores)
}

/// The number of CPUs in a Linux CPU list such as "0-3,8,10-11", or nil when it is not one.
func cpuListCount(_ list: String) -> Int? {
  var count = 0
  for part in list.split(separator: ",") {
    let bounds = part.split(separator: "-").map { Int($0) }
    switch bounds.count {
    case 1: guard bounds[0] != nil else { return nil }; count += 1
    case 2:
      guard let a = bounds[0], let b = bounds[1], b >= a else { return nil }
      count += b - a + 1
    default: return nil
    }
  }
  return count > 0 ? count : nil
}
