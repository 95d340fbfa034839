import NIOCore
import NIOHTTP1
import RunModel

/// Serves the simulated API over HTTP/1.1: parses each request, lets `SimulatedWorld.serve` decide,
/// and carries out its decision.
final class SimulatorHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: SimulatorState
    private var head: HTTPRequestHead?

    init(state: SimulatorState) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            handle(head, context: context)
        }
    }

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let (path, query) = SimulatedWorld.split(requestTarget: head.uri)
        let authorization = head.headers.first(name: "Authorization")
        let exchange = state.world.withLock {
            $0.serve(method: head.method.rawValue, path: path, query: query, authorization: authorization)
        }
        guard case .answer(let response, let delay) = exchange else {
            context.close(promise: nil)
            return
        }
        let keepAlive = head.isKeepAlive
        let version = head.version
        guard delay > .zero else {
            write(response, version: version, keepAlive: keepAlive, context: context)
            return
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .nanoseconds(delay.nanoseconds)) {
            let (handler, context) = loopBound.value
            handler.write(response, version: version, keepAlive: keepAlive, context: context)
        }
    }

    private func write(
        _ response: SimulatedResponse,
        version: HTTPVersion,
        keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "X-RateLimit-Limit", value: "60")
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        let head = HTTPResponseHead(
            version: version,
            status: HTTPResponseStatus(statusCode: response.status),
            headers: headers
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
