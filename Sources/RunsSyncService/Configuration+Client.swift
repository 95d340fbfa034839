import ApifyAPI
import AsyncHTTPClient
import Logging

extension Configuration {
    /// The per-attempt timeout, as a `Duration`.
    package var requestTimeout: Duration { .milliseconds(Int64(requestTimeoutSeconds * 1000)) }

    /// The HTTP client and the API client this configuration describes; the caller shuts `http` down.
    /// `observer` is told of every attempt (the metrics).
    package func makeClient(
        token: APIToken,
        logger: Logger,
        maxRetries: Int? = nil,
        observer: (any APIRequestObserver)? = nil
    ) -> (http: HTTPClient, client: ApifyClient) {
        let http = HTTPClient.makeForApify(requestTimeout: requestTimeout)
        let client = ApifyClient(
            configuration: .init(
                baseURL: apiBaseUrl,
                token: token,
                requestTimeout: requestTimeout,
                retry: RetryPolicy(maxRetries: maxRetries ?? self.maxRetries),
                userAgent: ApifyRunsSyncVersion.userAgent,
                maxRequestsPerSecond: maxRequestsPerSecond,
                maxRequestsPerSecondTotal: maxRequestsPerSecondTotal
            ),
            http: http,
            logger: logger,
            observer: observer
        )
        return (http, client)
    }
}
