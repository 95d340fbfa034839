import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The metrics endpoint (`metricsListen`): a small HTTP/1.1 server answering `GET /metrics` with
/// what `render` returns, the Prometheus text.
///
/// It is bound before the daemon starts (`bind`), so that an address it cannot use stops the start
/// with the key named, and serves until a graceful shutdown (or cancellation): then it stops
/// accepting, finishes the responses under way, closes every connection, and `run()` returns. It
/// runs on NIO's shared event loops, those of the API's HTTP client: no thread of its own.
package final class MetricsServer: Service {
    /// Where it listens, with the port the system chose when asked for port 0.
    package let address: ListenAddress
    private let channel: any Channel
    private let quiesce: ServerQuiescingHelper
    /// Completed once the listening socket and every connection are closed; nil until asked.
    private let closed = Mutex<EventLoopFuture<Void>?>(nil)

    private init(address: ListenAddress, channel: any Channel, quiesce: ServerQuiescingHelper) {
        self.address = address
        self.channel = channel
        self.quiesce = quiesce
    }

    /// Listens on `address`; `render` is called on an event loop for each scrape and must be quick.
    package static func bind(
        _ address: ListenAddress,
        render: @escaping @Sendable () -> [UInt8]
    ) async throws(MetricsServerError) -> MetricsServer {
        let group = MultiThreadedEventLoopGroup.singleton
        let quiesce = ServerQuiescingHelper(group: group)
        let channel: any Channel
        do {
            let socketAddress = try SocketAddress(ipAddress: address.host, port: address.port)
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 32)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            quiesce.makeServerChannelHandler(channel: channel)
                        )
                    }
                }
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(IdleStateHandler(readTimeout: .minutes(5)))
                        try pipeline.configureHTTPServerPipeline(withErrorHandling: true)
                        try pipeline.addHandler(MetricsHTTPHandler(render: render))
                    }
                }
                .bind(to: socketAddress)
                .get()
        } catch {
            throw MetricsServerError(address: address, reason: Self.reason(error))
        }
        var bound = address
        bound.port = channel.localAddress?.port ?? address.port
        return MetricsServer(address: bound, channel: channel, quiesce: quiesce)
    }

    /// Serves until a graceful shutdown or cancellation, then closes (see `close()`).
    package func run() async throws {
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await channel.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            self.initiateClose()
        }
        try await initiateClose().get()
    }

    /// Stops accepting, lets the responses under way finish, closes every connection, and returns
    /// once all is closed. For a server that is not run (a start that failed after `bind`).
    package func close() async throws {
        try await initiateClose().get()
    }

    /// Starts closing, once; what it returns completes when everything is closed.
    @discardableResult
    private func initiateClose() -> EventLoopFuture<Void> {
        closed.withLock { closed in
            if let closed { return closed }
            let promise = channel.eventLoop.makePromise(of: Void.self)
            quiesce.initiateShutdown(promise: promise)
            closed = promise.futureResult
            return promise.futureResult
        }
    }

    /// What went wrong, in words that say what to change.
    private static func reason(_ error: any Error) -> String {
        guard let error = error as? IOError else { return "\(error)" }
        let system = String(cString: strerror(error.errnoCode))
        switch error.errnoCode {
        case EADDRINUSE: return "\(system): another program listens on that port"
        case EADDRNOTAVAIL: return "\(system): the address is not one of this machine's"
        case EACCES: return "\(system): ports below 1024 need a privilege the service does not have"
        default: return system
        }
    }
}
