import ApifyAPI
import Daemon
import Logging
import ServiceLifecycle
import TestSupport
import Testing

/// The `/metrics` endpoint over real connections on 127.0.0.1: what it answers, how it keeps and
/// closes connections, and how it fails to listen.
@Suite struct MetricsServerTests {
    /// A server on a free port serving a registry that holds one counted request.
    private func serve() async throws -> MetricsServer {
        let backend = PrometheusMetricsBackend(descriptions: SyncMetrics.descriptions)
        let metrics = SyncMetrics(factory: backend, databasePath: nil)
        metrics.attemptEnded(.success, willRetry: false)
        return try await MetricsServer.bind(ListenAddress(host: "127.0.0.1", port: 0)) { backend.exposition() }
    }

    private func request(_ method: String, _ target: String, port: Int) throws -> RawHTTPConnection.Response? {
        let connection = try RawHTTPConnection(port: port)
        try connection.send("\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return try connection.readResponse(toHead: method == "HEAD")
    }

    @Test func getMetricsIsAnsweredWithPrometheusTextAndNothingElseIs() async throws {
        let server = try await serve()
        let port = server.address.port
        #expect(port != 0)
        for target in ["/metrics", "/metrics?name[]=up"] {
            let response = try #require(try request("GET", target, port: port))
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(response.headers["connection"] == "close")
            let parsed = try PrometheusText(parsing: response.body)
            #expect(parsed.value(SyncMetrics.apiRequests, ["outcome": "2xx"]) == 1)
            #expect(parsed.value(SyncMetrics.apiRequests, ["outcome": "429"]) == 0)
        }
        for target in ["/", "/metrics/", "/metricsx", "/favicon.ico"] {
            #expect(try request("GET", target, port: port)?.status == 404, "\(target)")
        }
        for method in ["POST", "PUT", "DELETE", "HEAD", "OPTIONS"] {
            let response = try #require(try request(method, "/metrics", port: port))
            #expect(response.status == 405, "\(method)")
            #expect(response.headers["allow"] == "GET", "\(method)")
        }
        try await server.close()
    }

    @Test func aConnectionIsKeptAliveAcrossRequestsPipelinedOrNot() async throws {
        let server = try await serve()
        let connection = try RawHTTPConnection(port: server.address.port)
        let get = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        try connection.send(get)
        let first = try #require(try connection.readResponse())
        #expect(first.status == 200 && first.headers["connection"] == "keep-alive")
        try connection.send(get + "GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + get)
        #expect(try connection.readResponse()?.body == first.body)
        #expect(try connection.readResponse()?.status == 404)
        #expect(try connection.readResponse()?.status == 200)
        // HTTP/1.0 without keep-alive: answered, then closed.
        try connection.send("GET /metrics HTTP/1.0\r\n\r\n")
        #expect(try connection.readResponse()?.status == 200)
        #expect(try connection.isClosedByServer())
        try await server.close()
    }

    @Test(.timeLimit(.minutes(1)))
    func aGracefulShutdownClosesKeptAliveConnectionsAndFreesThePort() async throws {
        let server = try await serve()
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: [server], logger: Logger(label: "test"))
        )
        let running = Task { try await group.run() }
        let idle = try RawHTTPConnection(port: server.address.port)
        try idle.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try idle.readResponse()?.headers["connection"] == "keep-alive")
        await group.triggerGracefulShutdown()
        // The server's run() returns once its connections are closed: the idle one was.
        try await running.value
        #expect(try idle.isClosedByServer())
        #expect(throws: RawHTTPConnection.Failure.self) { try RawHTTPConnection(port: server.address.port) }
        let again = try await MetricsServer.bind(server.address) { [] }
        try await again.close()
    }

    @Test func anAddressItCannotUseIsRefusedNamingMetricsListenAndWhy() async throws {
        let first = try await serve()
        let inUse = await #expect(throws: MetricsServerError.self) {
            try await MetricsServer.bind(first.address) { [] }
        }
        #expect(inUse?.description.hasPrefix("\"metricsListen\" \(first.address): cannot listen there") == true)
        #expect(inUse?.description.contains("another program listens on that port") == true, "\(inUse!)")
        // 192.0.2.1 (TEST-NET-1, documentation only) is no address of this machine: bind() says so
        // without sending anything.
        let foreign = await #expect(throws: MetricsServerError.self) {
            try await MetricsServer.bind(ListenAddress(host: "192.0.2.1", port: 9464)) { [] }
        }
        #expect(foreign?.description.contains("the address is not one of this machine's") == true, "\(foreign!)")
        try await first.close()
    }

    @Test func itListensOnIPv6Loopback() async throws {
        let server = try await MetricsServer.bind(ListenAddress(host: "::1", port: 0)) { Array("up 1\n".utf8) }
        #expect(server.address.host == "::1" && server.address.port != 0)
        #expect(server.address.description == "[::1]:\(server.address.port)")
        try await server.close()
    }
}
