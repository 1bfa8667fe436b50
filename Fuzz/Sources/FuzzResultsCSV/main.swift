import FuzzSupport
import Experiments
import Foundation

/// A results or summary CSV as `summarize`, `plot` and `merge` read it: parse, check the rows, summarize,
/// draw; and the repair a resuming sweep makes when the bytes are an existing results file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResultsCSV(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  let bytes = UnsafeRawBufferPointer(start: start, count: count)
  _ = CSV.parse(String(decoding: bytes, as: UTF8.self))
  let path = InputFile.write(bytes, name: "results.csv")
  guard let (header, rows) = try? ResultsFile.read(path) else { return 0 }
  if let summary = try? Summary.make(header: header, rows: rows, by: nil) {
    _ = summary.markdown() + summary.latex() + summary.csv()
    if summary.columns.count >= 2, let plot = try? SVGPlot.from(columns: summary.columns, rows: summary.rows, x: summary.columns[0], y: summary.columns.last!, series: nil, low: nil, high: nil) {
      _ = plot.svg()
    }
  }
  if header.count >= 2, let plot = try? SVGPlot.from(columns: header, rows: rows, x: header[0], y: header[1], series: header.count > 2 ? header[2] : nil,
                                                    low: header.count > 4 ? header[3] : nil, high: header.count > 4 ? header[4] : nil) {
    _ = plot.svg()
  }
  if let experiment = header.count > 0 ? Experiment.all.first(where: { $0.header == header }) : nil {
    _ = try? ResultsFile(path: path, header: experiment.header)
  }
  _ = try? Merge.merge([path], into: InputFile.folder + "/merged.csv", allowIncomplete: true)
  return 0
}

@_cdecl("FuzzResultsCSV_main")
public func fuzzResultsCSVMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
  fuzzMain(argc, argv, fuzzResultsCSV)
}
