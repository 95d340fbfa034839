import RunModel

/// The query parameters of a list request, validated as the API validates them.
struct SimulatedListQuery {
    /// Why a request was refused: the message of its 400 `invalid-input` answer.
    struct Invalid: Error {
        var message: String

        var response: SimulatedResponse { .error(400, type: "invalid-input", message: message) }
    }

    var offset: Int
    /// The page size asked: 1 to 1000, since 0 means the default (1000) and more is cut to it.
    var limit: Int
    var desc: Bool
    /// The `status` values a run must have; nil when the request does not filter by status.
    var statuses: Set<String>?
    /// Inclusive bounds on `startedAt`, read only where the endpoint honours them.
    var startedAfterMs: Int64?
    var startedBeforeMs: Int64?

    /// Reads `offset`, `limit`, `desc` and `status`, and with `honoursStartedRange` also
    /// `startedAfter` and `startedBefore`, which the docs promise for the Actor and account run lists
    /// only: elsewhere they are ignored, so a client that relies on them there is caught.
    init(_ query: [String: String], honoursStartedRange: Bool) throws(Invalid) {
        guard let offset = Self.nonNegativeInteger(query["offset"], default: 0),
            let limit = Self.nonNegativeInteger(query["limit"], default: 1000)
        else {
            throw Invalid(message: "Invalid input: offset and limit must be non-negative integers")
        }
        self.offset = offset
        self.limit = limit == 0 ? 1000 : min(limit, 1000)
        desc = query["desc"] == "1" || query["desc"] == "true"
        if let statuses = query["status"], !statuses.isEmpty {
            self.statuses = Set(statuses.split(separator: ",").map(String.init))
        }
        guard honoursStartedRange else { return }
        startedAfterMs = try Self.instant(query, "startedAfter")
        startedBeforeMs = try Self.instant(query, "startedBefore")
    }

    /// Whether the request bounds `startedAt` at all.
    var filtersByStart: Bool { startedAfterMs != nil || startedBeforeMs != nil }

    /// Whether a run's `startedAt` lies within the bounds; a run without one never does.
    func admits(startedAtMs: Int64?) -> Bool {
        guard let startedAtMs else { return false }
        return startedAtMs >= (startedAfterMs ?? .min) && startedAtMs <= (startedBeforeMs ?? .max)
    }

    private static func nonNegativeInteger(_ text: String?, default value: Int) -> Int? {
        guard let text else { return value }
        guard let number = Int(text), number >= 0 else { return nil }
        return number
    }

    private static func instant(_ query: [String: String], _ name: String) throws(Invalid) -> Int64? {
        guard let text = query[name] else { return nil }
        guard let milliseconds = ISOTimestamp.exactMilliseconds(text) else {
            throw Invalid(
                message: "Invalid input: \(name) must be a UTC date and time such as 2025-01-01T00:00:00.000Z"
            )
        }
        return milliseconds
    }
}
