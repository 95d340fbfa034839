/// What went wrong talking to the Apify API, in words a person can act on. Never holds the token.
package enum ApifyError: Error, CustomStringConvertible, Sendable, Equatable {
    /// 401: the token is missing, invalid or revoked.
    case unauthorized(tokenSource: String, apiType: String?)
    /// 403: the token may not read this resource.
    case forbidden(resource: String, message: String?)
    /// 404 for a task: it does not exist for this account.
    case taskNotFound(task: String)
    /// 404 for an Actor: it does not exist, or this account may not see it.
    case actorNotFound(actor: String)
    /// Another 4xx, not retried.
    case rejected(status: Int, path: String, type: String?, message: String?)
    /// A body that is not the expected JSON.
    case invalidResponse(status: Int, path: String, reason: String, bodyPrefix: String)
    /// A body larger than the configured cap.
    case bodyTooLarge(path: String, limitBytes: Int)
    /// Every attempt failed with a retryable cause.
    case retriesExhausted(path: String, attempts: Int, lastCause: String)

    package var description: String {
        switch self {
        case .unauthorized(let source, let type):
            let detail = type.map { " (\($0))" } ?? ""
            return "the Apify API rejected the token read from \(source)\(detail): it is missing, invalid or revoked; "
                + "create one at https://console.apify.com/settings/integrations"
        case .forbidden(let resource, let message):
            return "the token has no permission to read \(resource)" + (message.map { ": \($0)" } ?? "")
        case .taskNotFound(let task):
            return "task \(task) does not exist for this account (HTTP 404); check the task ID or username~task-name"
        case .actorNotFound(let actor):
            return "actor \(actor) does not exist for this account (HTTP 404); "
                + "check the Actor ID or username~actor-name"
        case .rejected(let status, let path, let type, let message):
            let detail = [type, message].compactMap { $0 }.joined(separator: ": ")
            return "the Apify API rejected GET \(path) with HTTP \(status)" + (detail.isEmpty ? "" : " (\(detail))")
        case .invalidResponse(let status, let path, let reason, let prefix):
            return "GET \(path) answered HTTP \(status) with a body that is not the expected JSON (\(reason)); "
                + "the body begins: \(prefix.debugDescription)"
        case .bodyTooLarge(let path, let limit):
            return "GET \(path) answered with a body larger than \(limit) bytes; refusing to read it"
        case .retriesExhausted(let path, let attempts, let cause):
            return "GET \(path) failed after \(attempts) attempts; last cause: \(cause)"
        }
    }
}
