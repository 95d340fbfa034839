// A libFuzzer harness for the configuration parser, compiled by FuzzTests together with its sources.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfiguration(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    guard let configuration = try? Configuration.parse(bytes, path: "/fuzz/config.json") else { return 0 }
    // Whatever is accepted is usable: a source, valid references, sane intervals, limits in range.
    precondition(!configuration.polledSources.isEmpty || configuration.allTasks)
    let entries = configuration.tasks + configuration.actors
    precondition(entries.allSatisfy { Configuration.isValidTaskReference($0.id) })
    precondition(configuration.polledSources.allSatisfy { $0.pollIntervalSeconds >= 1 })
    precondition(configuration.discoveryIntervalSeconds >= 60)
    precondition((1...64).contains(configuration.maxConcurrentTasks) && configuration.maxRetries >= 0)
    precondition(configuration.database.hasPrefix("/"))
    // An address accepted is one the parser reads back the same, with a port a socket can take.
    if let listen = configuration.metricsListen {
        precondition((1...65_535).contains(listen.port))
        precondition((try? ListenAddress.parse(listen.description)) == listen)
    }
    return 0
}
