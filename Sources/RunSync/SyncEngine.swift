import ApifyAPI
import Foundation
import Logging
import RunStore

/// Keeps the store in step with one task's runs on the Apify API. The design is in docs/sync.md.
///
/// A pass has two halves:
/// 1. **Forward read** of the ascending list from the cursor. The first read starts `passOverlap`
///    runs before the cursor; each following read starts one run before the end of the previous page,
///    so that every page begins with a run already stored and proves that offsets did not shift in
///    between. `CursorPlanner.verdict` judges each page; a page that is not safe triggers a binary
///    search by `startedAt` (O(log n) one-item probes), and after repeated failures a rescan from 0.
///    Each page is stored with the cursor it leads to in one transaction, while the next page is
///    already being fetched.
/// 2. **Unfinished runs**: one status-filtered list (`READY,RUNNING,TIMING-OUT,ABORTING`) refreshes
///    them and reveals resurrected runs; stored runs that are still unfinished but left that list are
///    fetched one by one (`GET /v2/actor-runs/:id`), and those answering 404 are marked deleted.
package struct SyncEngine: Sendable {
    package let client: ApifyClient
    package let store: RunStore
    package let logger: Logger
    package let now: @Sendable () -> Date
    package let passOverlap: Int
    package let pageSize: Int

    package init(
        client: ApifyClient,
        store: RunStore,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init,
        passOverlap: Int = CursorPlanner.passOverlap,
        pageSize: Int = ApifyClient.maximumPageSize
    ) {
        self.client = client
        self.store = store
        self.logger = logger
        self.now = now
        self.passOverlap = passOverlap
        self.pageSize = pageSize
    }

    /// How many times the anchor is searched for before the task is read again from offset 0.
    private static let locateAttempts = 3

    /// One pass over one task. On error, what was stored before it stays stored, with its cursor.
    package func sync(task taskId: String) async throws -> TaskPassReport {
        var report = TaskPassReport(taskId: taskId)
        let stored = try await store.cursor(for: taskId)
        report.isBackfill = !(try await store.hasCompletedBackfill(taskId))
        report.cursorPath = stored.anchorRunId == nil ? .fresh : .continued
        var logger = self.logger
        logger[metadataKey: "task"] = "\(taskId)"
        do {
            report.cursor = try await readForward(taskId, from: stored, report: &report, logger: logger)
            try await refreshUnfinished(taskId, report: &report)
            try await store.recordPass(taskId: taskId, at: timestamp(), error: nil, backfillCompleted: true)
        } catch {
            // A pass interrupted by shutdown is not a failure of the task: nothing to record.
            let interrupted = Task.isCancelled || error is CancellationError
            if !interrupted {
                let message = String(describing: error)
                try? await store.recordPass(taskId: taskId, at: timestamp(), error: message, backfillCompleted: false)
            }
            throw SyncError(taskId: taskId, underlying: error, report: report, interrupted: interrupted)
        }
        return report
    }

    private func timestamp() -> String { Timestamp.string(from: now()) }

    // MARK: Forward read

    private func readForward(
        _ taskId: String,
        from stored: TaskCursor,
        report: inout TaskPassReport,
        logger: Logger
    )
        async throws -> TaskCursor
    {
        var cursor = stored
        var start = CursorPlanner.firstReadOffset(for: cursor, overlap: passOverlap)
        var page = try await list(taskId, offset: start, report: &report)
        var retentionChecked = false
        var attempts = 0
        while true {
            let verdict = CursorPlanner.verdict(
                start: start,
                ids: page.items.lazy.map(\.id),
                firstStartedAt: page.items.first?.startedAt,
                anchor: cursor
            )
            switch verdict {
            case .lost:
                attempts += 1
                start = try await relocate(
                    taskId,
                    cursor: cursor,
                    failedStart: start,
                    page: page,
                    attempts: attempts,
                    report: &report,
                    logger: logger
                )
                if !retentionChecked && report.cursorPath == .located {
                    retentionChecked = true
                    try await markRetentionDeletions(taskId, report: &report)
                }
                page = try await list(taskId, offset: start, report: &report)
                continue
            case .safe(let anchorIndex):
                if let anchorIndex {
                    let shift = (cursor.nextOffset - 1) - (start + anchorIndex)
                    if shift != 0 {
                        report.shift = shift
                        if report.cursorPath == .continued { report.cursorPath = .realigned }
                        logger.info(
                            "cursor realigned",
                            metadata: [
                                "event": "cursor_realigned", "shift": "\(shift)",
                                "reason":
                                    "\(shift > 0 ? "runs deleted before the anchor" : "runs inserted before the anchor")",
                            ]
                        )
                        if shift > 0 && !retentionChecked {
                            retentionChecked = true
                            try await markRetentionDeletions(taskId, report: &report)
                        }
                    }
                }
            }
            let last = page.items.last.map { (id: $0.id, startedAt: $0.startedAt) }
            let next = CursorPlanner.cursor(afterPageAt: start, count: page.items.count, last: last, previous: cursor)
            let batch = RunBatch(
                taskId: taskId,
                runs: page.items.map(RunRecord.init),
                cursor: next == cursor ? nil : next,
                observedAt: timestamp()
            )
            cursor = next
            attempts = 0
            guard page.items.count >= pageSize else {
                report.add(try await store.apply(batch))
                return cursor
            }
            // Store this page while the next one is on the wire.
            let nextStart = CursorPlanner.continuationOffset(start: start, count: page.items.count)
            async let applied = store.apply(batch)
            let nextPage = try await list(taskId, offset: nextStart, report: &report)
            report.add(try await applied)
            start = nextStart
            page = nextPage
        }
    }

    /// Finds where to read again after an unsafe page: by binary search, or from 0 as the last resort.
    private func relocate(
        _ taskId: String,
        cursor: TaskCursor,
        failedStart: Int,
        page: RunListPage,
        attempts: Int,
        report: inout TaskPassReport,
        logger: Logger
    ) async throws -> Int {
        guard attempts <= Self.locateAttempts, let anchorStartedAt = cursor.anchorStartedAt,
            Timestamp.milliseconds(anchorStartedAt) != nil
        else {
            report.cursorPath = .rescanned
            logger.warning(
                "cursor lost, reading the task again from offset 0",
                metadata: [
                    "event": "cursor_rescan", "attempts": "\(attempts)", "expected_offset": "\(cursor.nextOffset)",
                ]
            )
            return 0
        }
        var low = 0
        var high = min(failedStart, page.total ?? failedStart)
        while low < high {
            let mid = low + (high - low) / 2
            let probe = try await list(taskId, offset: mid, limit: 1, report: &report)
            let startedAt: String?? = probe.items.first.map { $0.startedAt }
            (low, high) = CursorPlanner.narrow(
                low: low,
                high: high,
                mid: mid,
                probeStartedAt: startedAt,
                anchorStartedAt: anchorStartedAt
            )
        }
        report.cursorPath = .located
        report.shift = cursor.nextOffset - low
        logger.info(
            "cursor located by startedAt",
            metadata: [
                "event": "cursor_located", "reason": "anchor run deleted or moved past the overlap",
                "expected_offset": "\(cursor.nextOffset)", "found_offset": "\(low)",
            ]
        )
        return max(0, low - 1)
    }

    /// Marks stored runs older than the oldest live run as deleted: data retention removed them.
    private func markRetentionDeletions(_ taskId: String, report: inout TaskPassReport) async throws {
        let head = try await list(taskId, offset: 0, limit: 1, report: &report)
        guard let oldest = head.items.first?.startedAt else { return }
        report.markedDeleted += try await store.markDeleted(taskId: taskId, startedBefore: oldest, at: timestamp())
    }

    private func list(
        _ taskId: String,
        offset: Int,
        limit: Int? = nil,
        statuses: [String] = [],
        report: inout TaskPassReport
    )
        async throws -> RunListPage
    {
        report.requests += 1
        let page = try await client.listRuns(task: taskId, offset: offset, limit: limit ?? pageSize, statuses: statuses)
        report.itemsRead += page.items.count
        return page
    }

    // MARK: Unfinished runs

    private func refreshUnfinished(_ taskId: String, report: inout TaskPassReport) async throws {
        var seen = Set<String>()
        var offset = 0
        while true {
            let page = try await list(taskId, offset: offset, statuses: RunStatus.unfinished, report: &report)
            seen.formUnion(page.items.lazy.map(\.id))
            if !page.items.isEmpty {
                report.add(
                    try await store.apply(
                        RunBatch(taskId: taskId, runs: page.items.map(RunRecord.init), observedAt: timestamp())
                    )
                )
            }
            guard page.items.count >= pageSize else { break }
            offset += page.items.count
        }
        let tracked = try await store.unfinishedRuns(of: taskId).filter { !seen.contains($0.id) }
        guard !tracked.isEmpty else { return }
        var refreshed: [RunRecord] = []
        var deleted: [String] = []
        for run in tracked {
            report.requests += 1
            if let current = try await client.run(id: run.id) {
                report.itemsRead += 1
                refreshed.append(RunRecord(current))
            } else {
                deleted.append(run.id)
            }
        }
        report.add(
            try await store.apply(
                RunBatch(taskId: taskId, runs: refreshed, deletedRunIds: deleted, observedAt: timestamp())
            )
        )
    }
}

extension RunRecord {
    /// The columns of an API run, and its bytes as received.
    init(_ run: ApifyRun) {
        self.init(
            id: run.id,
            status: run.status,
            actorTaskId: run.actorTaskId,
            actId: run.actId,
            userId: run.userId,
            startedAt: run.startedAt,
            finishedAt: run.finishedAt,
            buildId: run.buildId,
            buildNumber: run.buildNumber,
            origin: run.origin,
            usageTotalUsd: run.usageTotalUsd,
            defaultKeyValueStoreId: run.defaultKeyValueStoreId,
            defaultDatasetId: run.defaultDatasetId,
            defaultRequestQueueId: run.defaultRequestQueueId,
            rawJSON: run.rawJSON
        )
    }
}
