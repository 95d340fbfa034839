import ApifyAPI
import Foundation
import Testing

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
