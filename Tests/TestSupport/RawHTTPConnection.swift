import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One TCP connection to a port on 127.0.0.1, speaking HTTP/1.1 by hand, so that a test sees what a
/// client sends and gets byte for byte: keep-alive, pipelining, a server closing. A read that gets
/// nothing for 30 seconds fails instead of hanging the test.
package final class RawHTTPConnection {
    package struct Response: Sendable {
        package var status: Int
        /// Header names in lower case.
        package var headers: [String: String]
        package var body: String
    }

    package struct Failure: Error, CustomStringConvertible {
        package var description: String

        package init(description: String) {
            self.description = description
        }
    }

    private let descriptor: Int32
    private var buffered: [UInt8] = []

    package init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw Failure(description: "connect to port \(port): errno \(errno)")
        }
    }

    deinit {
        close(descriptor)
    }

    package func send(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard sent > 0 else { throw Failure(description: "write: errno \(errno)") }
            bytes = bytes.dropFirst(sent)
        }
    }

    /// The next response (its body as long as `Content-Length` says, none to a HEAD request), or nil
    /// when the server closed the connection before sending one.
    package func readResponse(toHead: Bool = false) throws -> Response? {
        let separator = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            headEnd = buffered.indices.dropLast(3).first { Array(buffered[$0..<$0 + 4]) == separator }
            if headEnd == nil {
                guard try fill() else {
                    guard buffered.isEmpty else { throw Failure(description: "closed in a response's head") }
                    return nil
                }
            }
        }
        let head = String(decoding: buffered[..<headEnd!], as: UTF8.self)
        buffered.removeFirst(headEnd! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw Failure(description: "not a status line: \(head)")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw Failure(description: "not a header: \(line)") }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: [" "])
        }
        guard var length = headers["content-length"].flatMap(Int.init) else {
            throw Failure(description: "no Content-Length in \(head)")
        }
        if toHead { length = 0 }
        while buffered.count < length {
            guard try fill() else { throw Failure(description: "closed in a response's body") }
        }
        let body = String(decoding: buffered[..<length], as: UTF8.self)
        buffered.removeFirst(length)
        return Response(status: status, headers: headers, body: body)
    }

    /// Whether the server has closed the connection, with nothing more sent.
    package func isClosedByServer() throws -> Bool {
        try buffered.isEmpty && !fill()
    }

    /// Reads what has arrived; false at the end of the stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw Failure(description: "read: errno \(errno) (nothing for 30 s?)") }
        buffered += chunk[..<count]
        return count > 0
    }
}
