import AsyncHTTPClient
import NIOCore

extension HTTPClient {
    /// The process's one HTTP client, configured for the Apify API. The caller shuts it down.
    ///
    /// Redirects are not followed: a redirect to another host would carry the Authorization header.
    /// gzip and deflate bodies are inflated, up to `maximumBodyBytes` so that a small compressed body
    /// cannot expand without bound.
    package static func makeForApify(
        requestTimeout: Duration = .seconds(30),
        maximumBodyBytes: Int = 32 * 1024 * 1024
    )
        -> HTTPClient
    {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            decompression: .enabled(limit: .size(maximumBodyBytes))
        )
        let seconds = max(1, Int64(requestTimeout.components.seconds))
        configuration.timeout = .init(connect: .seconds(min(seconds, 10)), read: .seconds(seconds))
        configuration.httpVersion = .automatic
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
