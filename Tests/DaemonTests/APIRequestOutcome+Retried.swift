import ApifyAPI

extension APIRequestOutcome {
    /// Whether the client retries an attempt that ended so (while it has retries left).
    var isRetried: Bool { [.rateLimited, .serverError, .networkError, .timeout].contains(self) }
}
