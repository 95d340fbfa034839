import AsyncHTTPClient
import NIOCore
import NIOSSL

extension HTTPClient {
    /// Connections to the API at most (over HTTP/1.1; HTTP/2 multiplexes over one): a window of
    /// pages read ahead, and a few for the other sources.
    package static let connectionsPerHost = 16

    /// The process's one HTTP client, configured for the Apify API. The caller shuts it down.
    ///
    /// Redirects are not followed: a redirect to another host would carry the Authorization header.
    /// gzip and deflate bodies are inflated, up to `maximumBodyBytes` so that a small compressed body
    /// cannot expand without bound. With a `proxy`, every connection is tunnelled through it
    /// (`CONNECT`, its credentials in `Proxy-Authorization`); `trusted` certificates are trusted
    /// beside the system's.
    package static func makeForApify(
        requestTimeout: Duration = ApifyClient.Configuration.defaultRequestTimeout,
        maximumBodyBytes: Int = ApifyClient.Configuration.defaultMaximumBodyBytes,
        proxy: HTTPProxy? = nil,
        trusted: TrustedCertificates? = nil
    )
        -> HTTPClient
    {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            decompression: .enabled(limit: .size(maximumBodyBytes))
        )
        if let proxy {
            configuration.proxy = .server(
                host: proxy.host,
                port: proxy.port,
                authorization: proxy.username.map { .basic(username: $0, password: proxy.password ?? "") }
            )
        }
        if let trusted {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.additionalTrustRoots = [.certificates(trusted.certificates)]
            configuration.tlsConfiguration = tls
        }
        let seconds = max(1, Int64(requestTimeout.components.seconds))
        configuration.timeout = .init(connect: .seconds(min(seconds, 10)), read: .seconds(seconds))
        configuration.httpVersion = .automatic
        // Pages read ahead over a distant link are requests in flight at once, each on a connection
        // of its own over HTTP/1.1: the default of 8 per host capped a 250 ms link at 32 requests a
        // second, under the 50 a list may use (docs/sync.md, "Reading ahead").
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = Self.connectionsPerHost
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
