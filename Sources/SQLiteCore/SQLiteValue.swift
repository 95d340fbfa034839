/// A value as SQLite stores it: one of its five storage classes.
package enum SQLiteValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    /// The value as text, when it is text.
    package var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    /// The value as an integer, when it is an integer.
    package var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    package var isNull: Bool { self == .null }
}

extension SQLiteValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    package init(stringLiteral value: String) { self = .text(value) }
    package init(integerLiteral value: Int64) { self = .integer(value) }
    package init(nilLiteral: ()) { self = .null }
}

extension SQLiteValue {
    /// `.text` for a string, `.null` for nil.
    package init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    /// `.integer` for an integer, `.null` for nil.
    package init(_ value: Int64?) { self = value.map { .integer($0) } ?? .null }
    /// `.real` for a double, `.null` for nil.
    package init(_ value: Double?) { self = value.map { .real($0) } ?? .null }
}
