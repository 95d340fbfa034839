/// The figures one measuring child reports to the parent, one JSON line each.
struct Measurement: Codable {
    var runs: Int
    var kind: String
    var wallSeconds: Double
    var cpuSeconds: Double
    var requests: Int
    var itemsRead: Int
    var peakResidentBytes: Int
    var idleWallMilliseconds: Double?
    var idleCPUMilliseconds: Double?
    var idleRequests: Int?
    var idleItemsRead: Int?
    /// For the store-only row: mean and slowest time of one 1,000-run batch.
    var batchMilliseconds: Double?
    var slowestBatchMilliseconds: Double?
}
