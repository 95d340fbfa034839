/// A configuration problem: the file, the key and what is wrong. Exit status 78 (EX_CONFIG).
package struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    package let path: String
    package let key: String?
    package let message: String

    package var description: String {
        if let key { return "configuration \(path): \"\(key)\" \(message)" }
        return "configuration \(path): \(message)"
    }
}
