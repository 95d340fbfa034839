import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A local TCP relay on 127.0.0.1 for tests: an HTTP `CONNECT` proxy that resolves names only it
/// knows, or a TLS front for a plain server (the simulator). Every connection is relayed byte for
/// byte to its target on 127.0.0.1; a proxy records the head of every `CONNECT` it is asked.
package final class TestTunnel: Sendable {
    package enum Mode: Sendable {
        /// A `CONNECT` proxy: a request for one of these names (any port) goes to 127.0.0.1 at that
        /// port; any other name gets 502.
        case connectProxy(knownHosts: Set<String>)
        /// TLS with this certificate chain and key, in front of 127.0.0.1:`port`.
        case tlsFront(certificatePEM: [UInt8], keyPEM: [UInt8], port: Int)
    }

    package let port: Int
    private let channel: any Channel
    private let heads = Mutex<[String]>([])

    /// The head (request line and headers) of every `CONNECT` received, in order.
    package var connectHeads: [String] { heads.withLock { $0 } }

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    package static func start(_ mode: Mode) async throws -> TestTunnel {
        let tls: NIOSSLContext?
        if case .tlsFront(let certificatePEM, let keyPEM, _) = mode {
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMBytes(certificatePEM).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: keyPEM, format: .pem))
            )
            tls = try NIOSSLContext(configuration: configuration)
        } else {
            tls = nil
        }
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let tunnel = TestTunnel(port: server.channel.localAddress?.port ?? 0, channel: server.channel)
        Task {
            try? await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        group.addTask { try? await tunnel.relay(connection, mode: mode) }
                    }
                }
            }
        }
        return tunnel
    }

    package func stop() async throws {
        try await channel.close()
    }

    private func relay(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, mode: Mode) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var incoming = inbound.makeAsyncIterator()
            var pending = ByteBuffer()
            let targetPort: Int
            switch mode {
            case .tlsFront(_, _, let port):
                targetPort = port
            case .connectProxy(let knownHosts):
                var head = ""
                while true {
                    guard var chunk = try await incoming.next() else { return }
                    pending.writeBuffer(&chunk)
                    let text = String(buffer: pending)
                    if let end = text.range(of: "\r\n\r\n") {
                        head = String(text[..<end.lowerBound])
                        pending.moveReaderIndex(forwardBy: text[..<end.upperBound].utf8.count)
                        break
                    }
                }
                heads.withLock { $0.append(head) }
                let target = head.split(separator: " ").dropFirst().first.map(String.init) ?? ""
                let parts = target.split(separator: ":")
                guard head.hasPrefix("CONNECT "), parts.count == 2, knownHosts.contains(String(parts[0])),
                    let port = Int(parts[1])
                else {
                    try await outbound.write(
                        ByteBuffer(string: "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                    )
                    return
                }
                targetPort = port
            }
            let upstream = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: targetPort) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            // Nothing may throw between the connection and its `executeThenClose`: an async channel
            // dropped unclosed traps in debug builds and takes the whole test process down.
            try await upstream.executeThenClose { upstreamInbound, upstreamOutbound in
                if case .connectProxy = mode {
                    try await outbound.write(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n"))
                }
                if pending.readableBytes > 0 { try await upstreamOutbound.write(pending) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await chunk in upstreamInbound { try await outbound.write(chunk) }
                    }
                    while let chunk = try await incoming.next() { try await upstreamOutbound.write(chunk) }
                    group.cancelAll()
                }
            }
        }
    }
}
