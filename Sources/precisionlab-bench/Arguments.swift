import Foundation

/// The bench's command line: `[--quick] [--torch PYTHON] [--sections a,b] [--write FILE]`. Anything
/// else (a misspelt flag, a flag without its value, an unknown section) is one line on standard error
/// and exit 64, before any timing starts.
struct BenchArguments {
  static let usage = """
    usage: precisionlab-bench [--quick] [--torch PYTHON] [--sections a,b,...] [--write FILE]
      --quick            fewer and smaller cases (a smoke run, not for docs/PERFORMANCE.md)
      --torch PYTHON     a Python with torch: time the PyTorch peers side by side
      --sections LIST    only these sections (the document is then partial)
      --write FILE       also write the report to FILE (docs/PERFORMANCE.md)
    environment: PRECISIONLAB_MNIST, PRECISIONLAB_FASHION_MNIST, PRECISIONLAB_PEERS, PRECISIONLAB_OWN_PEERS
    """

  var quick = false
  var torch: String?
  var sections: Set<String>?
  var write: String?

  /// Parses `arguments` (without the program name) against the known section names.
  init(_ arguments: [String], sectionNames: [String]) throws(BenchArgumentError) {
    var rest = arguments[...]
    func value(_ flag: String) throws(BenchArgumentError) -> String {
      guard let next = rest.popFirst(), !next.hasPrefix("--") else { throw .missingValue(flag) }
      return next
    }
    while let argument = rest.popFirst() {
      switch argument {
      case "--quick": quick = true
      case "--torch": torch = try value(argument)
      case "--write": write = try value(argument)
      case "--sections":
        let names = try value(argument).split(separator: ",").map(String.init)
        if let unknown = names.first(where: { !sectionNames.contains($0) }) {
          throw .unknownSection(unknown, valid: sectionNames)
        }
        sections = Set(names)
      case "--help", "-h": throw .help
      default: throw .unknownArgument(argument)
      }
    }
  }
}

enum BenchArgumentError: Error, CustomStringConvertible {
  case help
  case missingValue(String)
  case unknownSection(String, valid: [String])
  case unknownArgument(String)

  var description: String {
    switch self {
    case .help: BenchArguments.usage
    case .missingValue(let flag): "precisionlab-bench: \(flag) needs a value"
    case .unknownSection(let name, let valid): "precisionlab-bench: unknown section '\(name)'; valid: \(valid.joined(separator: ", "))"
    case .unknownArgument(let argument): "precisionlab-bench: unknown argument '\(argument)' (see --help)"
    }
  }
}
