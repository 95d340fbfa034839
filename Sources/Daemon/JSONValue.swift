/// A JSON value with its type kept, so that configuration errors can say "must be a number" about `true`.
package enum JSONValue: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            do {
                self = .object(try container.decode([String: JSONValue].self))
            } catch DecodingError.typeMismatch(_, let context) where context.debugDescription.contains("found number") {
                // A number JSON allows but a Double cannot hold, such as 1e999.
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "a number too large for a 64-bit float (beyond ±1.8e308)"
                )
            }
        }
    }
}
