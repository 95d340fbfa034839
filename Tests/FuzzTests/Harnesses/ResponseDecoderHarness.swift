// A libFuzzer harness for the response decoder, compiled by FuzzTests together with the decoder's
// sources (swiftc -sanitize=fuzzer,address), not by SwiftPM.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzResponseDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = ResponseDecoder.apiError(from: bytes)
    _ = try? ResponseDecoder.resource(from: bytes)
    _ = try? ResponseDecoder.taskListPage(from: bytes)
    _ = try? ResponseDecoder.run(from: bytes)
    guard let page = try? ResponseDecoder.runListPage(from: bytes) else { return 0 }
    for item in page.items {
        // Each item's raw bytes are one whole JSON object that decodes to the same run.
        precondition(item.rawJSON.first == UInt8(ascii: "{") && item.rawJSON.last == UInt8(ascii: "}"))
        let wrapped = Array(#"{"data":"#.utf8) + Array(item.rawJSON) + [UInt8(ascii: "}")]
        guard let again = try? ResponseDecoder.run(from: wrapped) else {
            preconditionFailure("an item's raw JSON does not decode on its own")
        }
        precondition(again.id == item.id && again.status == item.status && again.startedAt == item.startedAt)
        precondition(!item.id.isEmpty && !item.status.isEmpty)
    }
    return 0
}
