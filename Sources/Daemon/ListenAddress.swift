#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the metrics endpoint listens, as `metricsListen` spells it: an IPv4 address or a
/// bracketed IPv6 one, and a port (`127.0.0.1:9464`, `[::1]:9464`).
///
/// Host names are refused: a listener bound at start should not depend on what a name resolves to
/// then, and `localhost` may be either family.
package struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The address, without brackets.
    package var host: String
    /// The port; 0 (any free port) is for tests, never read from a configuration file.
    package var port: Int

    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Whether `host` is an IPv6 address.
    package var isIPv6: Bool { host.contains(":") }

    /// `127.0.0.1:9464` or `[::1]:9464`, as the file spells it.
    package var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// What is wrong with a `HOST:PORT`, for the configuration's error.
    package struct ParseError: Error, Equatable, Sendable {
        package var message: String
    }

    /// Reads `HOST:PORT` strictly: a dotted-quad IPv4 address or an IPv6 address in brackets, and a
    /// port from 1 to 65535 in plain digits.
    package static func parse(_ text: String) throws(ParseError) -> ListenAddress {
        let form =
            #"must be "HOST:PORT" with an IPv4 address or a bracketed IPv6 address, such as "127.0.0.1:9464" or "[::1]:9464""#
        func fail(_ reason: String) -> ParseError { ParseError(message: "\(form); \(reason)") }
        // Printable ASCII only: the address goes to C as a string, where a NUL would end it early.
        guard text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw fail("\(text.debugDescription) holds a space or a character that is not printable ASCII")
        }
        guard !text.contains("://") else {
            throw fail("\(text.debugDescription) is a URL: give only the address and the port")
        }
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[close...].hasPrefix("]:") else {
                throw fail("\(text.debugDescription) has no \"]:\" after the IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard isAddress(host, family: AF_INET6) else {
                throw fail("\(String(host).debugDescription) is not an IPv6 address")
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw fail("\(text.debugDescription) has no port")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else {
                throw fail("an IPv6 address goes in brackets, not \(text.debugDescription)")
            }
            guard isAddress(host, family: AF_INET) else {
                throw fail("\(String(host).debugDescription) is not an IPv4 address (host names are not taken)")
            }
        }
        guard !portText.isEmpty, portText.count <= 5, portText.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            portText.first != "0", let port = Int(portText), (1...65_535).contains(port)
        else {
            throw fail("the port must be a whole number from 1 to 65535, not \(String(portText).debugDescription)")
        }
        return ListenAddress(host: String(host), port: port)
    }

    /// Whether `text` is an address of `family`, as the C library reads it (`inet_pton`: four
    /// decimal parts without leading zeros for IPv4; no zone index for IPv6).
    private static func isAddress(_ text: Substring, family: Int32) -> Bool {
        guard !text.isEmpty else { return false }
        var buffer = (UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &buffer) { bytes in
            String(text).withCString { inet_pton(family, $0, bytes.baseAddress) == 1 }
        }
    }
}
