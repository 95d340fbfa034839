/// A run as the API lists it: the fields we store in columns, and the item's bytes as they came.
///
/// Only `id` and `status` are required; every other field is optional because real responses have
/// lacked fields the specification calls required. Statuses are open strings.
package struct ApifyRun: Sendable, Equatable {
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
    /// The item's JSON exactly as received: a slice of the response body, shared, not copied.
    package var rawJSON: ArraySlice<UInt8>

    package init(id: String, status: String, rawJSON: ArraySlice<UInt8>) {
        self.id = id
        self.status = status
        self.rawJSON = rawJSON
    }
}
