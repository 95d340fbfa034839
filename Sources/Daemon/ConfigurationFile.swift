import ApifyAPI
import Foundation

/// A configuration file's top-level JSON object, with readers that check each key's type and range
/// and name the file and the key in every error.
struct ConfigurationFile {
    let path: String
    let object: [String: JSONValue]

    /// Parses `data` as one JSON object whose keys are all among `keys`.
    init(_ data: Data, path: String, keys: Set<String>) throws(ConfigurationError) {
        self.path = path
        let parsed: JSONValue
        do {
            parsed = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch DecodingError.dataCorrupted(let context) where context.debugDescription.hasPrefix("a number too large")
        {
            throw ConfigurationError(
                path: path,
                key: context.codingPath.map(\.stringValue).joined(separator: "."),
                message: "holds a number too large for a 64-bit float (beyond ±1.8e308)"
            )
        } catch {
            throw ConfigurationError(path: path, key: nil, message: Self.syntaxProblem(in: data, error: error))
        }
        guard case .object(let object) = parsed else {
            throw ConfigurationError(path: path, key: nil, message: "the file must hold one JSON object")
        }
        self.object = object
        if let unknown = object.keys.filter({ !keys.contains($0) }).sorted().first {
            throw fail(unknown, "unknown key; the keys are \(keys.sorted().joined(separator: ", "))")
        }
    }

    func fail(_ key: String?, _ message: String) -> ConfigurationError {
        ConfigurationError(path: path, key: key, message: message)
    }

    /// A non-empty string, or nil when the key is absent or null.
    func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard case .string(let text) = value else { throw fail(key, "must be a string") }
        guard !text.isEmpty else { throw fail(key, "must not be empty") }
        return text
    }

    func number(
        _ key: String,
        minimum: Double,
        maximum: Double = .greatestFiniteMagnitude
    ) throws(ConfigurationError)
        -> Double?
    {
        guard let value = object[key], value != .null else { return nil }
        guard case .number(let double) = value else { throw fail(key, "must be a number") }
        guard double.isFinite, double >= minimum, double <= maximum else {
            throw fail(
                key,
                "must be between \(minimum.cleanDescription) and \(maximum.cleanDescription), not \(double.cleanDescription)"
            )
        }
        return double
    }

    func integer(_ key: String, minimum: Int, maximum: Int) throws(ConfigurationError) -> Int? {
        guard let value = try number(key, minimum: Double(minimum), maximum: Double(maximum)) else { return nil }
        guard value.rounded() == value else { throw fail(key, "must be a whole number") }
        return Int(value)
    }

    /// A boolean; false when the key is absent or null.
    func flag(_ key: String) throws(ConfigurationError) -> Bool {
        guard let value = object[key], value != .null else { return false }
        guard case .bool(let set) = value else { throw fail(key, "must be true or false") }
        return set
    }

    /// A path, relative to the file's own directory unless absolute.
    func resolvedPath(_ key: String) throws(ConfigurationError) -> String? {
        try string(key).map(resolve)
    }

    func resolve(_ relativePath: String) -> String {
        guard !relativePath.hasPrefix("/") else { return relativePath }
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? relativePath : (directory as NSString).appendingPathComponent(relativePath)
    }

    /// Where the JSON breaks, by line and column, when the strict scanner can tell.
    private static func syntaxProblem(in data: Data, error: any Error) -> String {
        let bytes = Array(data)
        if let syntax = ResponseDecoder.syntaxError(in: bytes) {
            let before = bytes.prefix(syntax.offset)
            let line = before.count { $0 == UInt8(ascii: "\n") } + 1
            let column = syntax.offset - (before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0) + 1
            return "it is not valid JSON: \(syntax.message) at line \(line), column \(column)"
        }
        return "it is not valid JSON (\(describe(error)))"
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return (path.isEmpty ? "" : "\(path): ") + (underlying ?? context.debugDescription)
        }
        return String(describing: error)
    }
}
