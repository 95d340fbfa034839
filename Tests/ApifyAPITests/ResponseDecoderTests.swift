import ApifyAPI
import Foundation
import Testing

@Suite struct ResponseDecoderTests {
    private func page(_ json: String) throws -> RunListPage {
        try ResponseDecoder.runListPage(from: Array(json.utf8))
    }

    @Test func aMinimalItemAnUnknownStatusAndUnknownFieldsDecode() throws {
        let json =
            #"{"data":{"total":1,"items":[{"id":"a","status":"HIBERNATING","newField":{"x":[1,2,{"y":null}]},"meta":{}}]}}"#
        let decoded = try page(json)
        let run = try #require(decoded.items.first)
        #expect(run.id == "a" && run.status == "HIBERNATING")
        #expect(run.startedAt == nil && run.usageTotalUsd == nil && run.origin == nil && run.actorTaskId == nil)
        #expect(
            String(decoding: run.rawJSON, as: UTF8.self)
                == #"{"id":"a","status":"HIBERNATING","newField":{"x":[1,2,{"y":null}]},"meta":{}}"#
        )
        #expect(decoded.total == 1 && decoded.count == nil)
    }

    @Test func mistypedOptionalFieldsBecomeNil() throws {
        let json =
            #"{"data":{"items":[{"id":"a","status":"READY","startedAt":5,"usageTotalUsd":"0.1","meta":"WEB","actorTaskId":null}]}}"#
        let run = try #require(try page(json).items.first)
        #expect(run.startedAt == nil && run.usageTotalUsd == nil && run.origin == nil)
    }

    @Test func escapesAndUnicodeAreDecoded() throws {
        let json =
            #"{"data":{"items":[{"id":"a\"b\\c\u00e9\ud83d\ude00","status":"R\u0055NNING","buildNumber":"žluť"}]}}"#
        let run = try #require(try page(json).items.first)
        #expect(run.id == "a\"b\\cé😀")
        #expect(run.status == "RUNNING")
        #expect(run.buildNumber == "žluť")
    }

    @Test(arguments: [
        "", "{", "[]", #"{"data":[]}"#, #"{"data":{}}"#, #"{"data":{"items":[1]}}"#,
        #"{"data":{"items":[{"id":1,"status":"X"}]}}"#,
        #"{"data":{"items":[]}} x"#, #"{"data":{"items":[]},}"#, #"{"data":{"items":[01]}}"#,
        "{\"data\":{\"items\":[\"\u{01}\"]}}",
        #"{"data":{"items":["\x"]}}"#, #"{"data":{"items":[tru]}}"#, String(repeating: "[", count: 100),
    ])
    func malformedInputIsAnError(json: String) {
        #expect(throws: JSONScanError.self) { try page(json) }
    }

    @Test func invalidUTF8IsAnError() {
        var bytes = Array(#"{"data":{"items":[{"id":"a","status":"READY","x":""#.utf8)
        bytes += [0xC3, 0x28]
        bytes += Array(#""}]}}"#.utf8)
        let error = #expect(throws: JSONScanError.self) { try ResponseDecoder.runListPage(from: bytes) }
        #expect(error?.message.contains("UTF-8") == true)
    }

    @Test func apifyErrorBodiesAreRead() {
        let body = Array(#"{"error":{"type":"record-not-found","message":"Actor task was not found"}}"#.utf8)
        let error = ResponseDecoder.apiError(from: body)
        #expect(error?.type == "record-not-found")
        #expect(error?.message == "Actor task was not found")
        #expect(ResponseDecoder.apiError(from: Array("<html>".utf8)) == nil)
    }
}
