import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A local HTTP server on 127.0.0.1 that records every request and answers each with the status its
/// script gives for the request's number (0, 1, …): a webhook receiver for tests.
package final class ScriptedHTTPServer: Sendable {
    /// A request as received.
    package struct Request: Sendable {
        package var method: String
        package var uri: String
        package var headers: [(name: String, value: String)]
        package var body: String
    }

    /// The requests so far, shared by the server's connections.
    final class RequestLog: Sendable {
        let requests = Mutex<[Request]>([])
    }

    private let channel: any Channel
    private let log: RequestLog
    package let port: Int

    package var url: String { "http://127.0.0.1:\(port)/hook" }
    package var requests: [Request] { log.requests.withLock { $0 } }

    private init(channel: any Channel, log: RequestLog, port: Int) {
        self.channel = channel
        self.log = log
        self.port = port
    }

    /// Starts the server; `status` gives the answer to request number n.
    package static func start(status: @escaping @Sendable (Int) -> Int) async throws -> ScriptedHTTPServer {
        let log = RequestLog()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(ScriptedHTTPHandler(log: log, status: status))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return ScriptedHTTPServer(channel: channel, log: log, port: channel.localAddress?.port ?? 0)
    }

    package func stop() async throws { try await channel.close() }
}
