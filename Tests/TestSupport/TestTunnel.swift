import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A local TCP relay on 127.0.0.1 for tests: an HTTP `CONNECT` proxy that resolves names only it
/// knows, or a TLS front for a plain server (the simulator). Every connection is relayed byte for
/// byte to its target on 127.0.0.1; a proxy records the head of every `CONNECT` it is asked.
///
/// The relay is channel handlers on the event loops, like the simulator, and never a Swift task: the
/// test process runs hundreds of tests at once on a cooperative pool of one thread per core, and a
/// relay waiting there for a turn once kept a client's connection past its connect timeout.
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
    private let heads: HeadLog

    /// The head (request line and headers) of every `CONNECT` received, in order.
    package var connectHeads: [String] { heads.list.withLock { $0 } }

    private init(port: Int, channel: any Channel, heads: HeadLog) {
        self.port = port
        self.channel = channel
        self.heads = heads
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
        let heads = HeadLog()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    switch mode {
                    case .connectProxy(let knownHosts):
                        try pipeline.addHandler(
                            ConnectHandler(knownHosts: knownHosts, record: { head in heads.append(head) })
                        )
                    case .tlsFront(_, _, let port):
                        if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
                        try pipeline.addHandler(ConnectHandler(fixedPort: port))
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TestTunnel(port: channel.localAddress?.port ?? 0, channel: channel, heads: heads)
    }

    package func stop() async throws {
        try await channel.close()
    }

    /// The heads received, shared by the tunnel and its connections' handlers.
    private final class HeadLog: Sendable {
        let list = Mutex<[String]>([])
        func append(_ head: String) { list.withLock { $0.append(head) } }
    }
}

/// Buffers what the client sends until it knows where to relay it (at once for a TLS front, after
/// the `CONNECT` head for a proxy), connects there, then pairs the two channels.
private final class ConnectHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let knownHosts: Set<String>
    private let fixedPort: Int?
    private let record: @Sendable (String) -> Void
    private var pending = ByteBuffer()
    private var connecting = false

    init(knownHosts: Set<String>, record: @escaping @Sendable (String) -> Void) {
        self.knownHosts = knownHosts
        self.fixedPort = nil
        self.record = record
    }

    init(fixedPort: Int) {
        self.knownHosts = []
        self.fixedPort = fixedPort
        self.record = { _ in }
    }

    func channelActive(context: ChannelHandlerContext) {
        if let fixedPort { connect(to: fixedPort, context: context) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        pending.writeBuffer(&chunk)
        guard !connecting else { return }
        let text = String(buffer: pending)
        guard let end = text.range(of: "\r\n\r\n") else { return }
        let head = String(text[..<end.lowerBound])
        pending.moveReaderIndex(forwardBy: text[..<end.upperBound].utf8.count)
        record(head)
        let target = head.split(separator: " ").dropFirst().first.map(String.init) ?? ""
        let parts = target.split(separator: ":")
        guard head.hasPrefix("CONNECT "), parts.count == 2, knownHosts.contains(String(parts[0])),
            let port = Int(parts[1])
        else {
            let refusal = ByteBuffer(string: "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            context.writeAndFlush(wrapOutboundOut(refusal)).whenComplete { [channel = context.channel] _ in
                channel.close(promise: nil)
            }
            return
        }
        connect(to: port, context: context)
    }

    private func connect(to port: Int, context: ChannelHandlerContext) {
        connecting = true
        let client = context.channel
        let established = fixedPort == nil
        ClientBootstrap(group: context.eventLoop)
            .connect(host: "127.0.0.1", port: port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .failure:
                    client.close(promise: nil)
                case .success(let upstream):
                    self.pair(client: client, upstream: upstream, established: established, context: context)
                }
            }
    }

    private func pair(client: any Channel, upstream: any Channel, established: Bool, context: ChannelHandlerContext) {
        do {
            try upstream.pipeline.syncOperations.addHandler(RelayHandler(partner: client))
            guard client.isActive else {
                upstream.close(promise: nil)
                return
            }
            if established {
                let answer = ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")
                context.writeAndFlush(wrapOutboundOut(answer), promise: nil)
            }
            if pending.readableBytes > 0 { upstream.writeAndFlush(pending, promise: nil) }
            pending = ByteBuffer()
            try context.pipeline.syncOperations.addHandler(RelayHandler(partner: upstream), position: .after(self))
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        } catch {
            upstream.close(promise: nil)
            client.close(promise: nil)
        }
    }
}

/// Writes everything its channel reads to the partner, and closes the partner once its channel
/// closed and what it read was written: an answer sent just before a close arrives whole.
private final class RelayHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let partner: any Channel
    private var lastWrite: EventLoopFuture<Void>?

    init(partner: any Channel) {
        self.partner = partner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastWrite = partner.writeAndFlush(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        let partner = self.partner
        if let lastWrite {
            lastWrite.whenComplete { _ in partner.close(promise: nil) }
        } else {
            partner.close(promise: nil)
        }
        context.fireChannelInactive()
    }
}
