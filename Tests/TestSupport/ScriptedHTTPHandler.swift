import NIOCore
import NIOHTTP1

/// One connection of `ScriptedHTTPServer`: records each request, answers with the scripted status.
final class ScriptedHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let log: ScriptedHTTPServer.RequestLog
    private let status: @Sendable (Int) -> Int
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(log: ScriptedHTTPServer.RequestLog, status: @escaping @Sendable (Int) -> Int) {
        self.log = log
        self.status = status
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            let request = ScriptedHTTPServer.Request(
                method: head.method.rawValue,
                uri: head.uri,
                headers: head.headers.map { ($0.name, $0.value) },
                body: String(decoding: body, as: UTF8.self)
            )
            let number = log.requests.withLock { requests -> Int in
                requests.append(request)
                return requests.count - 1
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "2")
            let response = HTTPResponseHead(
                version: head.version,
                status: HTTPResponseStatus(statusCode: status(number)),
                headers: headers
            )
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            self.head = nil
        }
    }
}
