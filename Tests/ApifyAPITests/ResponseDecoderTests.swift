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

@Suite struct RetryPolicyTests {
    @Test func backoffDoublesWithJitterAndCaps() {
        let policy = RetryPolicy(maxRetries: 8, baseDelay: .milliseconds(500), maximumDelay: .seconds(4))
        #expect(policy.delay(beforeRetry: 1, jitter: 1) == .milliseconds(500))
        #expect(policy.delay(beforeRetry: 2, jitter: 1.5) == .milliseconds(1500))
        #expect(policy.delay(beforeRetry: 3, jitter: 2) == .seconds(4))
        #expect(policy.delay(beforeRetry: 20, jitter: 2) == .seconds(8))
        #expect(policy.delay(beforeRetry: 2, jitter: 1, retryAfter: .seconds(7)) == .seconds(7))
        #expect(policy.delay(beforeRetry: 2, jitter: 1, retryAfter: .seconds(7200)) == .seconds(120))
    }

    @Test func retryableStatuses() {
        #expect(RetryPolicy.isRetryable(status: 429))
        #expect(RetryPolicy.isRetryable(status: 500) && RetryPolicy.isRetryable(status: 599))
        #expect(![400, 401, 403, 404, 200].contains { RetryPolicy.isRetryable(status: $0) })
    }

    @Test func retryAfterTakesSecondsAndHTTPDates() {
        #expect(RetryAfter.parse("3") == .seconds(3))
        #expect(RetryAfter.parse("-1") == nil)
        #expect(RetryAfter.parse("soon") == nil)
        let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:28:10 GMT", now: now) == .seconds(10))
    }

    @Test func pathSegmentsAreEscaped() {
        #expect(ApifyClient.escapePathSegment("janedoe~my-task") == "janedoe~my-task")
        #expect(ApifyClient.escapePathSegment("a b/c?d") == "a%20b%2Fc%3Fd")
        #expect(ApifyClient.escapePathSegment("é") == "%C3%A9")
    }

    @Test func theTokenRedactsItself() {
        let token = APIToken(secret: "s3cr3t", source: "the file /x")
        #expect(!"\(token)".contains("s3cr3t"))
        #expect(!String(reflecting: token).contains("s3cr3t"))
        #expect(token.redact("a s3cr3t b") == "a <redacted> b")
        let long = APIToken(secret: "apify_api_QQseEXAMPLE0123456789", source: "the test")
        // An excerpt cut through the token keeps no part of it of 8 characters or more.
        #expect(long.redact("body: apify_api_QQse") == "body: <redacted>")
        #expect(long.redact("body: apify_a") == "body: apify_a", "shorter starts are ordinary text")
        #expect(long.redact("apify_api_QQseEXAMPLE0123456789 and more") == "<redacted> and more")
    }
}
