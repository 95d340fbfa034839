import ApifyAPI
import ApifySimulator
import AsyncHTTPClient
import Foundation
import Logging
import NIOSSL
import TestSupport
import Testing

/// The client through a real proxy and over real TLS, both local: a `CONNECT` proxy that alone
/// knows the API's name, and a TLS front for the simulator with a certificate of its own.
@Suite struct ProxyAndTLSTests {
    static let token = "apify_api_PROXYsecretTOKEN0123456789"

    static func client(baseURL: String, http: HTTPClient, timeout: Duration = .seconds(10)) -> ApifyClient {
        ApifyClient(
            configuration: .init(
                baseURL: baseURL,
                token: APIToken(secret: token, source: "the test"),
                requestTimeout: timeout,
                retry: RetryPolicy(maxRetries: 0)
            ),
            http: http,
            logger: Logger(label: "test"),
            sleep: { _ in }
        )
    }

    @Test func theClientGoesThroughTheProxyWithItsCredentials() async throws {
        let simulator = try await ApifySimulator.start(token: Self.token)
        let task = simulator.withWorld { world in
            let task = world.addTask()
            world.createRuns(task: task, count: 1200)
            return task
        }
        // A name no resolver knows: only through the proxy can the client reach the API.
        let host = "api.apify-proxy.test"
        let proxyServer = try await TestTunnel.start(.connectProxy(knownHosts: [host]))
        let baseURL = "http://\(host):\(simulator.port)"
        let proxy = try #require(
            try HTTPProxy.forBaseURL(
                baseURL,
                environment: ["http_proxy": "http://proxy%2Duser:pa%3Ass@127.0.0.1:\(proxyServer.port)"]
            )
        )
        let http = HTTPClient.makeForApify(requestTimeout: .seconds(10), proxy: proxy)
        let client = Self.client(baseURL: baseURL, http: http)
        let (first, second) = try await http.shuttingDown {
            let first = try await client.listRuns(.task(task), offset: 0)
            return (first, try await client.listRuns(.task(task), offset: first.items.count))
        }
        try await proxyServer.stop()
        try await simulator.stop()

        #expect(first.items.count + second.items.count == 1200)
        let heads = proxyServer.connectHeads
        #expect(!heads.isEmpty)
        let lines = try #require(heads.first).split(separator: "\r\n").map(String.init)
        #expect(lines.first == "CONNECT \(host):\(simulator.port) HTTP/1.1")
        // proxy-user:pa:ss, as Basic credentials on the CONNECT; the API's token never goes to the proxy.
        #expect(lines.contains("proxy-authorization: Basic cHJveHktdXNlcjpwYTpzcw=="), "\(lines)")
        #expect(heads.allSatisfy { !$0.contains(Self.token) })
    }

    @Test func anUntrustedCertificateIsOneLineAndACAFileMakesItTrusted() async throws {
        let directory = try TemporaryDirectory()
        let certificate = try await TestCertificate.make(in: directory)
        let simulator = try await ApifySimulator.start(token: Self.token)
        let task = simulator.withWorld { world in
            let task = world.addTask()
            world.createRuns(task: task, count: 3)
            return task
        }
        let front = try await TestTunnel.start(
            .tlsFront(certificatePEM: certificate.certificatePEM, keyPEM: certificate.keyPEM, port: simulator.port)
        )
        let baseURL = "https://127.0.0.1:\(front.port)"

        // The pool retries the handshake until the request's deadline, then reports its last failure.
        let plain = HTTPClient.makeForApify(requestTimeout: .seconds(2))
        let cause = try await plain.shuttingDown {
            do {
                _ = try await Self.client(baseURL: baseURL, http: plain, timeout: .seconds(2)).listRuns(
                    .task(task),
                    offset: 0
                )
            } catch ApifyError.retriesExhausted(_, _, let lastCause) {
                return lastCause
            }
            return ""
        }
        #expect(cause.hasPrefix("TLS handshake failed: the server's certificate is not trusted"), "\(cause)")
        #expect(cause.contains("caFile") && !cause.contains("/") && !cause.contains("\n"), "\(cause)")

        let trusted = try TrustedCertificates.load(pemFile: certificate.certificatePath)
        let http = HTTPClient.makeForApify(requestTimeout: .seconds(10), trusted: trusted)
        let page = try await http.shuttingDown {
            try await Self.client(baseURL: baseURL, http: http).listRuns(.task(task), offset: 0)
        }
        try await front.stop()
        try await simulator.stop()
        #expect(page.items.count == 3)
    }

    @Test func tlsErrorsBecomeOneLineWithoutBuildPaths() {
        #expect(
            TLSFailure.describe(NIOSSLExtraError.failedToValidateHostname)
                == "TLS handshake failed: the server's certificate is not valid for the host of apiBaseUrl"
        )
        #expect(
            TLSFailure.describe(NIOSSLError.uncleanShutdown)
                == "the TLS connection was cut without a TLS close (unclean shutdown)"
        )
        #expect(
            TLSFailure.describe(NIOSSLError.handshakeFailed(.sslError([.eofDuringHandshake])))
                == "TLS handshake failed: EOF during handshake"
        )
        #expect(TLSFailure.describe(ApifyError.bodyTooLarge(path: "/v2", limitBytes: 1)) == nil)
        // BoringSSL's own description: its reason kept, its codes and the build's source path left out.
        let boringSSL =
            "Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED at "
            + "/build/.build/checkouts/swift-nio-ssl/Sources/CNIOBoringSSL/ssl/handshake.cc:393"
        #expect(TLSFailure.reason(of: boringSSL) == "CERTIFICATE_VERIFY_FAILED")
    }

    @Test func aCAFileMustHoldPEMCertificates() async throws {
        let directory = try TemporaryDirectory()
        #expect(throws: TrustedCertificates.LoadError.self) {
            try TrustedCertificates.load(pemFile: directory.path("missing.pem"))
        }
        let garbage = directory.path("garbage.pem")
        try Data("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n".utf8)
            .write(to: URL(fileURLWithPath: garbage))
        #expect(throws: TrustedCertificates.LoadError.self) { try TrustedCertificates.load(pemFile: garbage) }
        let certificate = try await TestCertificate.make(in: directory)
        #expect(try TrustedCertificates.load(pemFile: certificate.certificatePath).certificates.count == 1)
    }
}
