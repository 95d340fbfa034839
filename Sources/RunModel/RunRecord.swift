/// A run as the API lists it and the store keeps it: the fields stored in columns, and the item's
/// JSON exactly as received.
///
/// Only `id` and `status` are required; every other field is optional because real responses have
/// lacked fields the specification calls required. Statuses are open strings.
package struct RunRecord: Sendable, Equatable {
    package var id: String
    package var status: String
    package var actorTaskId: String?
    package var actId: String?
    package var userId: String?
    package var startedAt: String?
    package var finishedAt: String?
    package var buildId: String?
    package var buildNumber: String?
    package var origin: String?
    package var usageTotalUsd: Double?
    package var defaultKeyValueStoreId: String?
    package var defaultDatasetId: String?
    package var defaultRequestQueueId: String?
    /// The UTF-8 bytes of the item as the API sent them (a slice of the response body, not a copy).
    package var rawJSON: ArraySlice<UInt8>

    /// Seconds from `startedAt` to `finishedAt`, to the millisecond; nil unless both are timestamps
    /// (`ISOTimestamp`).
    package var durationSeconds: Double? {
        guard let startedAt, let finishedAt, let start = ISOTimestamp.milliseconds(startedAt),
            let end = ISOTimestamp.milliseconds(finishedAt)
        else { return nil }
        return Double(end - start) / 1000
    }

    package init(
        id: String,
        status: String,
        actorTaskId: String? = nil,
        actId: String? = nil,
        userId: String? = nil,
        startedAt: String? = nil,
        finishedAt: String? = nil,
        buildId: String? = nil,
        buildNumber: String? = nil,
        origin: String? = nil,
        usageTotalUsd: Double? = nil,
        defaultKeyValueStoreId: String? = nil,
        defaultDatasetId: String? = nil,
        defaultRequestQueueId: String? = nil,
        rawJSON: ArraySlice<UInt8>
    ) {
        self.id = id
        self.status = status
        self.actorTaskId = actorTaskId
        self.actId = actId
        self.userId = userId
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.buildId = buildId
        self.buildNumber = buildNumber
        self.origin = origin
        self.usageTotalUsd = usageTotalUsd
        self.defaultKeyValueStoreId = defaultKeyValueStoreId
        self.defaultDatasetId = defaultDatasetId
        self.defaultRequestQueueId = defaultRequestQueueId
        self.rawJSON = rawJSON
    }
}
