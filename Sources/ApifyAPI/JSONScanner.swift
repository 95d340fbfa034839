import Foundation

/// A strict, allocation-light JSON reader over a byte buffer.
///
/// The run list decoder reads only the fields it stores and must keep each item's bytes exactly as
/// they came; a general-purpose decoder would build every value and re-encode it. This scanner
/// validates the whole input against the JSON grammar (RFC 8259, UTF-8 included) while letting the
/// caller pick out the values it wants by byte range.
struct JSONScanner: ~Copyable {
    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position = 0
    private var depth = 0
    private static let maximumDepth = 64

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { position >= bytes.count }

    /// The next non-whitespace byte, without consuming it.
    mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < bytes.count ? bytes[position] : nil
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// Consumes `byte` after optional whitespace, or fails naming what was expected.
    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONScanError) {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == byte else { throw error("expected \(what)") }
        position += 1
    }

    /// Consumes `byte` if it is next; returns whether it was.
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        if position < bytes.count, bytes[position] == byte {
            position += 1
            return true
        }
        return false
    }

    /// Requires that nothing but whitespace is left.
    mutating func expectEnd() throws(JSONScanError) {
        skipWhitespace()
        guard isAtEnd else { throw error("unexpected data after the JSON value") }
    }

    func error(_ message: String) -> JSONScanError {
        JSONScanError(message: message, offset: position)
    }

    // MARK: Objects and arrays

    /// Iterates an object's members: `body` gets each key's byte range and must consume the value.
    mutating func readObject(
        _ body: (inout JSONScanner, JSONString) throws(JSONScanError) -> Void
    )
        throws(JSONScanError)
    {
        try expect(UInt8(ascii: "{"), "'{' (an object)")
        try enterNesting()
        defer { depth -= 1 }
        if consume(UInt8(ascii: "}")) { return }
        repeat {
            skipWhitespace()
            let key = try readString()
            try expect(UInt8(ascii: ":"), "':' after an object key")
            try body(&self, key)
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"), "',' or '}' in an object")
    }

    /// Iterates an array's elements: `body` must consume each element.
    mutating func readArray(_ body: (inout JSONScanner) throws(JSONScanError) -> Void) throws(JSONScanError) {
        try expect(UInt8(ascii: "["), "'[' (an array)")
        try enterNesting()
        defer { depth -= 1 }
        if consume(UInt8(ascii: "]")) { return }
        repeat {
            try body(&self)
        } while consume(UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"), "',' or ']' in an array")
    }

    private mutating func enterNesting() throws(JSONScanError) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth) levels") }
    }

    // MARK: Values

    /// Validates and consumes any value.
    mutating func skipValue() throws(JSONScanError) {
        guard let next = peek() else { throw error("expected a value, found the end of the input") }
        switch next {
        case UInt8(ascii: "{"): try readObject { (scanner, _) throws(JSONScanError) in try scanner.skipValue() }
        case UInt8(ascii: "["): try readArray { (scanner) throws(JSONScanError) in try scanner.skipValue() }
        case UInt8(ascii: "\""): _ = try readString()
        case UInt8(ascii: "t"): try readLiteral("true")
        case UInt8(ascii: "f"): try readLiteral("false")
        case UInt8(ascii: "n"): try readLiteral("null")
        default: _ = try readNumber()
        }
    }

    /// Reads a string if one is next, consumes (and validates) anything else and returns nil.
    mutating func readOptionalString() throws(JSONScanError) -> String? {
        guard peek() == UInt8(ascii: "\"") else {
            try skipValue()
            return nil
        }
        return try readString().decoded(in: bytes)
    }

    /// Reads a number if one is next, consumes anything else and returns nil.
    mutating func readOptionalNumber() throws(JSONScanError) -> Double? {
        guard let next = peek(), next == UInt8(ascii: "-") || (next >= 0x30 && next <= 0x39) else {
            try skipValue()
            return nil
        }
        return try readNumber()
    }

    /// Reads an integer if a whole number is next, consumes anything else and returns nil.
    mutating func readOptionalInteger() throws(JSONScanError) -> Int? {
        guard let number = try readOptionalNumber(), number.rounded() == number, abs(number) < 9e15 else {
            return nil
        }
        return Int(number)
    }

    /// Reads a boolean if one is next, consumes anything else and returns nil.
    mutating func readOptionalBool() throws(JSONScanError) -> Bool? {
        switch peek() {
        case UInt8(ascii: "t"):
            try readLiteral("true")
            return true
        case UInt8(ascii: "f"):
            try readLiteral("false")
            return false
        default:
            try skipValue()
            return nil
        }
    }

    private mutating func readLiteral(_ literal: StaticString) throws(JSONScanError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw error("unexpected end of input in a literal") }
        for index in 0..<count where bytes[position + index] != literal.utf8Start[index] {
            throw error("invalid literal")
        }
        position += count
    }

    /// Reads a string, validating escapes and UTF-8; returns the range between the quotes.
    mutating func readString() throws(JSONScanError) -> JSONString {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
            throw error("expected a string")
        }
        position += 1
        let start = position
        var hasEscapes = false
        var hasNonASCII = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let string = JSONString(start: start, end: position, hasEscapes: hasEscapes)
                position += 1
                if hasNonASCII {
                    let slice = UnsafeBufferPointer(rebasing: bytes[start..<string.end])
                    guard String(validating: slice, as: UTF8.self) != nil else {
                        throw JSONScanError(message: "a string is not valid UTF-8", offset: start)
                    }
                }
                return string
            }
            if byte < 0x20 { throw error("a control character inside a string") }
            if byte >= 0x80 { hasNonASCII = true }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                position += 1
                guard position < bytes.count else { break }
                switch bytes[position] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    position += 1
                case UInt8(ascii: "u"):
                    guard position + 4 < bytes.count else { throw error("unterminated string") }
                    for offset in 1...4 where !bytes[position + offset].isHexDigit {
                        throw error("invalid \\u escape in a string")
                    }
                    position += 5
                default:
                    throw error("invalid escape in a string")
                }
                continue
            }
            position += 1
        }
        throw error("unterminated string")
    }

    /// Reads a number following the JSON grammar exactly.
    mutating func readNumber() throws(JSONScanError) -> Double {
        skipWhitespace()
        let start = position
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, bytes[position].isDigit else { throw error("expected a value") }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < bytes.count, bytes[position].isDigit { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, bytes[position].isDigit else { throw error("expected a digit after '.'") }
            while position < bytes.count, bytes[position].isDigit { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, bytes[position].isDigit else { throw error("expected an exponent") }
            while position < bytes.count, bytes[position].isDigit { position += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text) else { throw JSONScanError(message: "invalid number", offset: start) }
        return value
    }
}

/// The location of a string's contents (between the quotes) in the scanned bytes.
struct JSONString {
    let start: Int
    let end: Int
    let hasEscapes: Bool

    /// Whether the string is exactly `literal` (a key without escapes, as the API writes them).
    func equals(_ literal: StaticString, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard !hasEscapes, end - start == count else {
            return hasEscapes && decoded(in: bytes) == literal.description
        }
        return memcmp(bytes.baseAddress! + start, literal.utf8Start, count) == 0
    }

    /// The string's value, escapes resolved.
    func decoded(in bytes: UnsafeBufferPointer<UInt8>) -> String {
        let raw = UnsafeBufferPointer(rebasing: bytes[start..<end])
        guard hasEscapes else { return String(decoding: raw, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        var utf8: [UInt8] = []
        var index = 0
        func flush() {
            if !utf8.isEmpty {
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                utf8.removeAll(keepingCapacity: true)
            }
        }
        var pendingHighSurrogate: UInt32?
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                if pendingHighSurrogate != nil {
                    scalars.append("\u{FFFD}")
                    pendingHighSurrogate = nil
                }
                utf8.append(byte)
                index += 1
                continue
            }
            flush()
            let escape = raw[index + 1]
            index += 2
            var scalar: UInt32
            switch escape {
            case UInt8(ascii: "b"): scalar = 0x08
            case UInt8(ascii: "f"): scalar = 0x0C
            case UInt8(ascii: "n"): scalar = 0x0A
            case UInt8(ascii: "r"): scalar = 0x0D
            case UInt8(ascii: "t"): scalar = 0x09
            case UInt8(ascii: "u"):
                scalar = 0
                for offset in 0..<4 { scalar = scalar << 4 | UInt32(raw[index + offset].hexValue) }
                index += 4
            default: scalar = UInt32(escape)
            }
            if let high = pendingHighSurrogate {
                pendingHighSurrogate = nil
                if (0xDC00...0xDFFF).contains(scalar) {
                    let combined = 0x10000 + ((high - 0xD800) << 10) + (scalar - 0xDC00)
                    scalars.append(Unicode.Scalar(combined) ?? "\u{FFFD}")
                    continue
                }
                scalars.append("\u{FFFD}")
            }
            if (0xD800...0xDBFF).contains(scalar) {
                pendingHighSurrogate = scalar
            } else {
                scalars.append(Unicode.Scalar(scalar) ?? "\u{FFFD}")
            }
        }
        if pendingHighSurrogate != nil { scalars.append("\u{FFFD}") }
        flush()
        return String(scalars)
    }
}

/// Where and why the input stopped being the JSON we expected.
package struct JSONScanError: Error, Sendable, Equatable {
    package let message: String
    package let offset: Int
}

extension UInt8 {
    fileprivate var isDigit: Bool { self >= 0x30 && self <= 0x39 }
    fileprivate var isHexDigit: Bool { isDigit || (self | 0x20 >= 0x61 && self | 0x20 <= 0x66) }
    fileprivate var hexValue: UInt8 { isDigit ? self - 0x30 : (self | 0x20) - 0x61 + 10 }
}
