import NIOCore
import NIOHTTP1

/// Serves the simulated API over HTTP/1.1, applying queued faults.
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
        let (path, query) = Self.split(uri: head.uri)
        let authorization = head.headers.first(name: "Authorization")
        let (fault, response, delay) = state.world.withLock { world -> (SimulatedFault?, SimulatedResponse, Duration) in
            world.record(path: path, query: query)
            let target = SimulatedWorld.target(ofPath: path) ?? .any
            let fault = world.takeFault(for: target)
            switch fault {
            case .status(let code, let retryAfter):
                var response = SimulatedResponse.error(
                    code,
                    type: code == 429 ? "rate-limit-exceeded" : "internal-server-error",
                    message: code == 429 ? "You have exceeded the rate limit." : "Server error"
                )
                if let retryAfter { response.headers.append(("Retry-After", retryAfter)) }
                return (fault, response, world.responseDelay)
            case .body(let status, let contentType, let bytes):
                var response = SimulatedResponse(status: status, body: bytes)
                response.contentType = contentType
                return (fault, response, world.responseDelay)
            case .reset:
                return (fault, SimulatedResponse(status: 0, body: []), .zero)
            case .quirk(let quirk):
                let response = world.respond(path: path, query: query, authorization: authorization, quirk: quirk)
                return (fault, response, world.responseDelay)
            case .delay(let extra):
                let response = world.respond(path: path, query: query, authorization: authorization)
                return (fault, response, world.responseDelay + extra)
            case nil:
                let response = world.respond(path: path, query: query, authorization: authorization)
                return (nil, response, world.responseDelay)
            }
        }
        if fault == .reset {
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
        context.eventLoop.scheduleTask(in: .nanoseconds(Self.nanoseconds(delay))) {
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

    private static func split(uri: String) -> (String, [String: String]) {
        guard let mark = uri.firstIndex(of: "?") else { return (uri, [:]) }
        var query: [String: String] = [:]
        for pair in uri[uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let value = parts.count > 1 ? String(parts[1]).replacing("%2C", with: ",") : ""
            query[String(parts[0])] = value
        }
        return (String(uri[..<mark]), query)
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
