import ApifyAPI
import AsyncHTTPClient
import Logging

extension Configuration {
    /// The per-attempt timeout, as a `Duration`.
    package var requestTimeout: Duration { .milliseconds(Int64(requestTimeoutSeconds * 1000)) }

    /// The proxy the API is reached through, from `environment` (`HTTPS_PROXY`, `NO_PROXY`, …).
    package func proxy(environment: [String: String]) throws(HTTPProxy.ConfigurationError) -> HTTPProxy? {
        try HTTPProxy.forBaseURL(apiBaseUrl, environment: environment)
    }

    /// The HTTP client and the API client this configuration describes, through `proxy` and trusting
    /// `trusted` beside the system's CAs; the caller shuts `http` down. `observer` is told of every
    /// attempt (the metrics).
    package func makeClient(
        token: APIToken,
        logger: Logger,
        maxRetries: Int? = nil,
        proxy: HTTPProxy?,
        trusted: TrustedCertificates?,
        observer: (any APIRequestObserver)? = nil
    ) -> (http: HTTPClient, client: ApifyClient) {
        let http = HTTPClient.makeForApify(requestTimeout: requestTimeout, proxy: proxy, trusted: trusted)
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
