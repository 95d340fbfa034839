/// How one HTTP attempt to the API ended, in the few classes that are worth counting: no path, ID or
/// message, so that a count by outcome stays a handful of series whatever the API answers.
package enum APIRequestOutcome: String, Sendable, CaseIterable {
    /// An answer with a 2xx status.
    case success = "2xx"
    /// An answer with a 4xx status other than 429: refused, not found, a bad token.
    case clientError = "4xx"
    /// 429 Too Many Requests: the API's rate limit.
    case rateLimited = "429"
    /// An answer with a 5xx status.
    case serverError = "5xx"
    /// An answer with a 1xx or 3xx status (redirects are not followed).
    case otherStatus = "other_status"
    /// An answer whose body exceeded the allowed size.
    case bodyTooLarge = "body_too_large"
    /// No answer: the connection failed or was reset.
    case networkError = "network_error"
    /// No answer within the request timeout.
    case timeout

    /// Whether the client retries an attempt that ended so (while it has retries left).
    package var isRetryable: Bool {
        switch self {
        case .rateLimited, .serverError, .networkError, .timeout: true
        case .success, .clientError, .otherStatus, .bodyTooLarge: false
        }
    }

    /// The class of an answer with this HTTP status.
    package init(status: Int) {
        switch status {
        case 200..<300: self = .success
        case 429: self = .rateLimited
        case 400..<500: self = .clientError
        case 500..<600: self = .serverError
        default: self = .otherStatus
        }
    }
}
