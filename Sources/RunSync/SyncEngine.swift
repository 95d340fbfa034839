import ApifyAPI
import Foundation
import Logging
import RunModel
import RunStore

/// Keeps the store in step with one task's runs on the Apify API. The design is in docs/sync.md.
///
/// A pass has two halves:
/// 1. **Forward read** of the ascending list from the cursor. The first read starts `passOverlap`
///    runs before the cursor; each following read starts one run before the end of the previous page,
///    so that every page begins with a run already stored and proves that offsets did not shift in
///    between. `CursorPlanner.verdict` judges each page; a page that is not safe triggers a binary
///    search by `startedAt` (O(log n) one-item probes), and after repeated failures a rescan from 0.
///    Pages are stored together with the cursor they lead to, while the next page is already being
///    fetched; pages that arrive while a write is in progress share the next transaction (`ForwardRead`).
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
    static let locateAttempts = 3

    /// One pass over one task. On error, what was stored before it stays stored, with its cursor.
    package func sync(task taskId: String) async throws -> TaskPassReport {
        var report = TaskPassReport(taskId: taskId)
        let stored = try await store.cursor(for: taskId)
        report.isBackfill = !(try await store.hasCompletedBackfill(taskId))
        report.cursorPath = stored.anchorRunId == nil ? .fresh : .continued
        var logger = self.logger
        logger[metadataKey: "task"] = "\(taskId)"
        do {
            report.cursor = try await ForwardRead(engine: self, taskId: taskId, logger: logger).run(
                from: stored,
                report: &report
            )
            try await refreshUnfinished(taskId, report: &report)
            try await settle(&report)
            try await store.recordPass(taskId: taskId, at: timestamp(), error: nil, backfillCompleted: true)
        } catch {
            // What was written before the error is committed and reported; what could not commit is not.
            try? await settle(&report)
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

    /// Commits the shared transactions this pass wrote into; counts what committed, and fails if
    /// any of them did not.
    private func settle(_ report: inout TaskPassReport) async throws {
        let epochs = report.pendingEpochs
        guard !epochs.isEmpty else { return }
        let failed = try await store.commit(epochs: epochs)
        report.settle(failed: failed)
        if let failure = failed.sorted(by: { $0.key < $1.key }).first {
            throw StoreCommitError(epoch: failure.key, message: failure.value)
        }
    }

    func timestamp() -> String { Timestamp.string(from: now()) }

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
                        RunBatch(taskId: taskId, runs: page.items, observedAt: timestamp()),
                        after: report.pendingEpochs
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
                refreshed.append(current)
            } else {
                deleted.append(run.id)
            }
        }
        report.add(
            try await store.apply(
                RunBatch(taskId: taskId, runs: refreshed, deletedRunIds: deleted, observedAt: timestamp()),
                after: report.pendingEpochs
            )
        )
    }
}
