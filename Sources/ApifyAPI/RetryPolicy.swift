/// When to retry a failed request and how long to wait first: a pure function of the attempt.
///
/// Exponential backoff with jitter as Apify documents it and its JS client does: the n-th retry
/// waits `min(cap, base · 2^(n-1))` times a random factor between 1 and 2. A `Retry-After` from
/// the server wins when present (bounded by `maximumRetryAfter`).
package struct RetryPolicy: Sendable, Equatable {
    package var maxRetries: Int
    package var baseDelay: Duration
    package var maximumDelay: Duration
    package var maximumRetryAfter: Duration

    /// Retries after the first attempt, unless configured (`maxRetries`).
    package static let defaultMaxRetries = 8

    package init(
        maxRetries: Int = defaultMaxRetries,
        baseDelay: Duration = .milliseconds(500),
        maximumDelay: Duration = .seconds(30),
        maximumRetryAfter: Duration = .seconds(120)
    ) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// Whether an HTTP status is worth retrying: 429 and every 5xx.
    package static func isRetryable(status: Int) -> Bool {
        status == 429 || (500...599).contains(status)
    }

    /// The wait before retry number `retry` (1-based); `jitter` is the random factor in 1...2.
    package func delay(beforeRetry retry: Int, jitter: Double, retryAfter: Duration? = nil) -> Duration {
        if let retryAfter {
            return max(.zero, min(retryAfter, maximumRetryAfter))
        }
        let exponent = min(max(retry - 1, 0), 30)
        let exponential = baseDelay * (1 << exponent)
        let capped = min(exponential, maximumDelay)
        return capped * min(max(jitter, 1), 2)
    }
}
