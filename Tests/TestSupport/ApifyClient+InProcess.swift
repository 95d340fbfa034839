import ApifyAPI
import Logging

extension ApifyClient {
    /// A client served by `transport` in-process: the world's token unless another is given, retries
    /// after 1 ms that are not even slept, no pacing and no log output, so that retry paths cost
    /// nothing in tests. `observer` is told of every attempt.
    package static func inProcess(
        _ transport: InProcessTransport,
        token: String? = nil,
        maxRetries: Int = 8,
        maximumBodyBytes: Int = 32 * 1024 * 1024,
        observer: (any APIRequestObserver)? = nil
    ) -> ApifyClient {
        let oneMillisecond = Duration.milliseconds(1)
        return ApifyClient(
            configuration: Configuration(
                baseURL: "http://in-process.invalid",
                token: APIToken(secret: token ?? transport.withWorld { $0.token }, source: "the test"),
                retry: RetryPolicy(
                    maxRetries: maxRetries,
                    baseDelay: oneMillisecond,
                    maximumDelay: oneMillisecond,
                    maximumRetryAfter: oneMillisecond
                ),
                maximumBodyBytes: maximumBodyBytes,
                // Not paced: an in-process world answers at once, and tests make thousands of requests.
                maxRequestsPerSecond: 1e9,
                maxRequestsPerSecondTotal: 1e9
            ),
            transport: transport,
            logger: Logger(label: "in-process") { _ in SwiftLogNoOpLogHandler() },
            sleep: { _ in },
            observer: observer
        )
    }
}
