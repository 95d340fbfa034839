import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import NIOPosix

/// A stand-in for the Apify API on a local port: the endpoints the daemon uses, with real shapes and
/// behaviours, plus scripting (create, transition, resurrect, delete runs) and fault injection.
package final class ApifySimulator: Sendable {
    private let state: SimulatorState
    private let channel: any Channel
    package let port: Int

    /// `http://127.0.0.1:<port>`.
    package var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(state: SimulatorState, channel: any Channel, port: Int) {
        self.state = state
        self.channel = channel
        self.port = port
    }

    /// Starts serving on `host:port` (port 0 picks a free one).
    package static func start(
        host: String = "127.0.0.1",
        port: Int = 0,
        token: String,
        seed: UInt64 = 1,
        compressResponses: Bool = true
    ) async throws -> ApifySimulator {
        let state = SimulatorState(world: SimulatedWorld(token: token, seed: seed))
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    if compressResponses {
                        try channel.pipeline.syncOperations.addHandler(HTTPResponseCompressor())
                    }
                    try channel.pipeline.syncOperations.addHandler(SimulatorHTTPHandler(state: state))
                }
            }
            .bind(host: host, port: port)
            .get()
        guard let boundPort = channel.localAddress?.port else {
            try await channel.close()
            throw SimulatorError.noPort
        }
        return ApifySimulator(state: state, channel: channel, port: boundPort)
    }

    /// Stops accepting connections and closes the listening socket.
    package func stop() async throws {
        try await channel.close()
    }

    /// Reads or changes the world under the simulator's lock.
    @discardableResult
    package func withWorld<T>(_ body: (inout SimulatedWorld) throws -> T) rethrows -> T {
        try state.world.withLock { try body(&$0) }
    }
}

enum SimulatorError: Error {
    case noPort
}
