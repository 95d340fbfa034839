/// How far the forward read may fetch ahead (`ReadAheadWindow`).
package struct ReadAhead: Sendable, Equatable {
    /// The rate one list is read at, at most: under the API's 60 requests per second per resource.
    package var requestsPerSecond: Double
    /// Pages in flight at most, whatever the latency: what the window costs in memory (a page of
    /// 1,000 runs is about 1 MiB as received).
    package var maximumWindow: Int
    /// Pages in flight at least, whatever the latency: for tests of reading ahead, where the
    /// in-process API answers at once.
    package var minimumWindow: Int

    package init(requestsPerSecond: Double = 50, maximumWindow: Int = 12, minimumWindow: Int = 1) {
        self.requestsPerSecond = requestsPerSecond
        self.maximumWindow = maximumWindow
        self.minimumWindow = min(minimumWindow, maximumWindow)
    }

    /// One page at a time, as before read-ahead.
    package static let none = ReadAhead(requestsPerSecond: 50, maximumWindow: 1)
}
