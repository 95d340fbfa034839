// A libFuzzer harness for the configuration parser, compiled by FuzzTests together with its sources.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfiguration(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    guard let configuration = try? Configuration.parse(bytes, path: "/fuzz/config.json") else { return 0 }
    // Whatever is accepted is usable: tasks, sane intervals, limits in range.
    precondition(!configuration.tasks.isEmpty)
    precondition(configuration.tasks.allSatisfy { Configuration.isValidTaskReference($0.id) })
    precondition(configuration.tasks.allSatisfy { configuration.interval(of: $0) >= 1 })
    precondition((1...64).contains(configuration.maxConcurrentTasks) && configuration.maxRetries >= 0)
    precondition(configuration.database.hasPrefix("/"))
    return 0
}
