/// The HTTP proxy the API is reached through, chosen from the environment as curl and Go do:
/// `https_proxy`/`HTTPS_PROXY` for an `https://` API, `http_proxy`/`HTTP_PROXY` for `http://` (the
/// lowercase name first), unless `no_proxy`/`NO_PROXY` names the host. A loopback host (a local
/// simulator) is never proxied.
///
/// AsyncHTTPClient tunnels every request through the proxy with `CONNECT` and knows nothing of
/// `NO_PROXY`, so the choice is made here, once, for the one host the client talks to.
package struct HTTPProxy: Sendable, Equatable, CustomStringConvertible {
    package var host: String
    package var port: Int
    /// From the proxy URL's user information, percent-decoded; sent as `Proxy-Authorization: Basic`.
    package var username: String?
    package var password: String?
    /// The environment variable it came from, for messages.
    package var variable: String

    package init(host: String, port: Int, username: String? = nil, password: String? = nil, variable: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.variable = variable
    }

    /// `http://proxy.example:3128 (from HTTPS_PROXY)`: never the credentials.
    package var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(shownHost):\(port) (from \(variable)\(username == nil ? "" : ", with credentials"))"
    }

    /// A proxy variable that cannot be used: the message names the variable, never its credentials.
    package struct ConfigurationError: Error, Equatable, CustomStringConvertible, Sendable {
        package var variable: String
        package var message: String
        package var description: String { "the environment variable \(variable) \(message)" }
    }

    /// The proxy for requests to `baseURL`, or nil when none applies.
    package static func forBaseURL(
        _ baseURL: String,
        environment: [String: String]
    ) throws(ConfigurationError) -> HTTPProxy? {
        guard let target = Endpoint(url: baseURL) else { return nil }
        let names = target.scheme == "https" ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"]
        guard let variable = names.first(where: { environment[$0].map { !$0.isEmpty } ?? false }) else { return nil }
        if target.isLoopback { return nil }
        let noProxy = ["no_proxy", "NO_PROXY"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        if bypasses(host: target.host, port: target.port, noProxy: noProxy) { return nil }
        return try parse(environment[variable]!, variable: variable)
    }

    /// Whether `NO_PROXY` exempts `host:port`. Entries are separated by commas (spaces allowed): `*`
    /// exempts every host; `example.com` that host and its subdomains; `.example.com` its subdomains
    /// only; an IP address that address; `entry:port` only that port. Case and a final dot of a
    /// name do not matter. Address ranges (CIDR) are not understood.
    package static func bypasses(host: String, port: Int, noProxy: String) -> Bool {
        let host = normalized(host)
        for rawEntry in noProxy.split(separator: ",") {
            var entry = rawEntry.trimmingSpaces
            if entry.isEmpty { continue }
            if entry == "*" { return true }
            var entryPort: Int?
            if let split = splitPort(entry) { (entry, entryPort) = split }
            if let entryPort, entryPort != port { continue }
            entry = normalized(entry)
            if entry.hasPrefix(".") {
                if host.hasSuffix(entry) { return true }
            } else if host == entry || host.hasSuffix("." + entry) {
                return true
            }
        }
        return false
    }

    /// Reads `http://user:password@host:port`, `host:port` or `host` (port 80 when none is given).
    static func parse(_ value: String, variable: String) throws(ConfigurationError) -> HTTPProxy {
        func fail(_ message: String) -> ConfigurationError { ConfigurationError(variable: variable, message: message) }
        var rest = Substring(value.trimmingSpaces)
        if let schemeEnd = rest.range(of: "://") {
            let scheme = rest[..<schemeEnd.lowerBound].lowercased()
            guard scheme == "http" else {
                throw fail(
                    "names a \(scheme):// proxy; only an http:// proxy is supported (the API's TLS runs through it)"
                )
            }
            rest = rest[schemeEnd.upperBound...]
        }
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...].allSatisfy({ $0 == "/" }) else { throw fail("must be a proxy URL without a path") }
            rest = rest[..<slash]
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let colon = userInfo.firstIndex(of: ":")
            username = percentDecoded(userInfo[..<(colon ?? userInfo.endIndex)])
            password = colon.map { percentDecoded(userInfo[userInfo.index(after: $0)...]) } ?? ""
        }
        var host = String(rest)
        var port = 80
        let badPort = fail("has a port that is not a number from 1 to 65535")
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw fail("has an IPv6 address without its \"]\"") }
            let after = host[host.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":", let number = Int(after.dropFirst()), (1...65535).contains(number) else {
                    throw badPort
                }
                port = number
            }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            guard let number = Int(host[host.index(after: colon)...]), (1...65535).contains(number) else {
                throw badPort
            }
            (host, port) = (String(host[..<colon]), number)
        }
        guard !host.isEmpty else { throw fail("must name a proxy as http://host:port") }
        return HTTPProxy(host: host, port: port, username: username, password: password, variable: variable)
    }

    /// `host:port` or `[v6]:port` split, when the part after the last colon is a port.
    private static func splitPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let host = text[..<colon]
        // A bare IPv6 address has colons of its own: only `[…]:port` carries a port.
        if host.contains(":") && !(host.hasPrefix("[") && host.hasSuffix("]")) { return nil }
        guard let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }

    private static func normalized(_ host: String) -> String {
        var host = host.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") && host.count > 1 { host.removeLast() }
        return host
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The scheme, host and port of the API's base URL.
    private struct Endpoint {
        var scheme: String
        var host: String
        var port: Int

        init?(url: String) {
            guard let schemeEnd = url.range(of: "://") else { return nil }
            scheme = url[..<schemeEnd.lowerBound].lowercased()
            var authority = url[schemeEnd.upperBound...]
            if let slash = authority.firstIndex(of: "/") { authority = authority[..<slash] }
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            let defaultPort = scheme == "https" ? 443 : 80
            if let split = HTTPProxy.splitPort(String(authority)) {
                (host, port) = (split.host, split.port)
            } else {
                (host, port) = (String(authority), defaultPort)
            }
            host = HTTPProxy.normalized(host)
        }

        var isLoopback: Bool {
            host == "localhost" || host.hasSuffix(".localhost") || host == "::1" || host.hasPrefix("127.")
        }
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
