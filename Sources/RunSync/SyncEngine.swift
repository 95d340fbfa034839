import ApifyAPI
import Foundation
import Logging
import RunModel
import RunStore

/// Keeps the store in step with one task's runs on the Apify API. The design is in docs/sync.md.
///
/// A pass has three parts:
/// 1. **Forward read** of the ascending list from the cursor (`ForwardRead`, `CursorPlanner`): each
///    page is proven safe before it is stored with the cursor it leads to.
/// 2. **Unfinished runs**: one status-filtered list (its first page asked for beside the forward
///    read's first request) refreshes them and reveals resurrected runs; the stored runs that left it
///    are re-read by offset range when that takes fewer requests than one `GET /v2/actor-runs/:id`
///    each, and runs whose status does not move are asked less and less often.
/// 3. **The count check**: the API's `total` against the task's live stored runs. More listed than
///    stored means a run was missed (a late insert, an unstable tie order, a 404 that lied): the
///    newest and oldest pages are read, then the whole list, until the counts agree. More stored than
///    listed means retention deleted runs: they are marked.
package struct SyncEngine: Sendable {
    package let client: any RunListing
    package let store: RunStore
    package let logger: Logger
    package let now: @Sendable () -> Date
    package let passOverlap: Int
    package let pageSize: Int
    package let readAhead: ReadAhead
    let backoff = RefreshBackoff()
    let headChecks = HeadCheckSchedule()
    let startedAfterSupport = StartedAfterSupport()

    package init(
        client: any RunListing,
        store: RunStore,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init,
        passOverlap: Int = CursorPlanner.passOverlap,
        pageSize: Int = ApifyClient.maximumPageSize,
        readAhead: ReadAhead = ReadAhead()
    ) {
        self.client = client
        self.store = store
        self.logger = logger
        self.now = now
        self.passOverlap = passOverlap
        self.pageSize = pageSize
        self.readAhead = readAhead
    }

    /// Complete re-reads one count check may make while each finds runs the previous one did not.
    static let maximumRescans = 3
    /// Below this many runs to refresh, single GETs are used without looking for ranges.
    static let minimumRunsForRanges = 3

    /// One pass over one task. On error, what was stored before it stays stored, with its cursor.
    package func sync(_ source: RunSource) async throws(SyncError) -> TaskPassReport {
        var report = TaskPassReport(source: source)
        let stored: TaskCursor
        do {
            let start = try await store.passStart(for: source)
            stored = start.cursor
            report.isBackfill = !start.backfillCompleted
        } catch {
            let interrupted = Task.isCancelled || error is CancellationError
            throw SyncError(source: source, underlying: error, report: report, interrupted: interrupted)
        }
        report.cursorPath = stored.anchorRunId == nil ? .fresh : .continued
        var logger = self.logger
        logger[metadataKey: source.logField.key] = "\(source.logField.value)"
        let budget = RequestBudget(limit: RequestBudget.forList(total: 0, pageSize: pageSize))
        let session = store.session(summarizingFirstSightings: report.isBackfill)
        do {
            // The keyset cursor where the list takes `startedAfter` (docs/sync.md, "Two cursors"); a
            // list never read whole is read from its start by offset.
            let keyset = usesKeyset(source)
            // The unfinished runs' first page goes out with the forward read's first request, so
            // that an idle pass waits for one round trip, not two. Read before the forward read's
            // pages are stored, its copies are judged by when it was asked for (`readSince`).
            async let unfinishedHead = firstUnfinishedPage(source, budget: budget)
            var read = ForwardRead(
                engine: self,
                source: source,
                logger: logger,
                budget: budget,
                session: session,
                sweeps: stored.anchorRunId != nil,
                keysetCursor: keyset,
                startedAfter: keyset ? stored.anchorStartedAt : nil
            )
            do {
                report.cursor = try await read.run(from: stored, report: &report)
            } catch SyncFault.startedAfterIgnored(let asked, let listed) {
                if startedAfterSupport.refuse(source) {
                    logger.warning(
                        "the API ignored startedAfter; reading this list by offset until restart",
                        metadata: [
                            "event": "started_after_ignored", "asked": "\(asked)", "listed": "\(listed ?? "null")",
                        ]
                    )
                }
                (read.keysetCursor, read.startedAfter) = (false, nil)
                (report.tailStart, report.tailTotal) = (nil, nil)
                report.cursor = try await read.run(from: stored, report: &report)
            }
            let head = try await unfinishedHead
            report.requests += head.requests
            report.itemsRead += head.page.items.count
            // Runs the forward read stored for the first time, still in progress, that the early
            // page does not list started after it was asked for: the page is asked for again, after
            // them, so that they are not refreshed one by one. Otherwise (idle, new runs finished or
            // listed) it is used.
            let listed = Set(head.page.items.lazy.map(\.id))
            let stale = !session.firstSeenInProgress.isSubset(of: listed)
            if stale { report.wastedRequests += head.requests }
            try await refreshUnfinished(
                source,
                from: stale ? nil : head.page,
                budget: budget,
                session: session,
                logger: logger,
                report: &report
            )
            try await settle(&report, session)
            try await checkCount(source, budget: budget, session: session, logger: logger, report: &report)
            try await settle(&report, session)
            let succeededAt = timestamp()
            try await store.recordPass(source: source, at: succeededAt, error: nil, backfillCompleted: true)
            report.succeededAt = succeededAt
        } catch {
            // What was written before the error is committed and reported; what could not commit is not.
            try? await settle(&report, session)
            // A pass interrupted by shutdown is not a failure of the task: nothing to record.
            let interrupted = Task.isCancelled || error is CancellationError
            var failures: Int?
            if !interrupted {
                let message = String(describing: error)
                failures = try? await store.recordPass(
                    source: source,
                    at: timestamp(),
                    error: message,
                    backfillCompleted: false
                )
            }
            throw SyncError(
                source: source,
                underlying: error,
                report: report,
                interrupted: interrupted,
                consecutiveFailures: failures
            )
        }
        return report
    }

    /// Commits what this pass wrote so far; counts what committed, and fails if any of it did not.
    private func settle(_ report: inout TaskPassReport, _ session: WriteSession) async throws {
        let settled = try await session.settle()
        report.count(settled.committed)
        if let failure = settled.failure { throw failure }
    }

    func timestamp() -> String { ISOTimestamp.string(from: now()) }

    /// `instant` on the clock `timestamp()` reads.
    func timestamp(of instant: ContinuousClock.Instant) -> String {
        let elapsed = ContinuousClock.now - instant
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return ISOTimestamp.string(from: now().addingTimeInterval(-seconds))
    }

    /// Whether the source is read by its watermark (docs/sync.md, "Two cursors").
    private func usesKeyset(_ source: RunSource) -> Bool {
        source.acceptsStartedAfter && !startedAfterSupport.isRefused(source)
    }

    /// One list request of the pass, counted against its budget.
    private func list(
        _ source: RunSource,
        offset: Int,
        limit: Int? = nil,
        desc: Bool = false,
        statuses: [String] = [],
        budget: RequestBudget,
        report: inout TaskPassReport
    ) async throws -> RunListPage {
        var limit = limit ?? pageSize
        while true {
            report.requests += 1
            try budget.spend()
            do {
                let page = try await client.listRuns(
                    source,
                    offset: offset,
                    limit: limit,
                    desc: desc,
                    statuses: statuses,
                    startedAfter: nil
                )
                report.itemsRead += page.items.count
                return page
            } catch ApifyError.bodyTooLarge where limit > 1 {
                // Fewer runs: every caller reads on, or falls back to single runs, past a short page.
                limit /= 2
                budget.allow(1)
            }
        }
    }

    /// Stores runs read outside the forward read (no cursor moves).
    private func store(
        _ runs: [RunRecord],
        of source: RunSource,
        deleted: [String] = [],
        readSince: ContinuousClock.Instant?,
        session: WriteSession,
        report: inout TaskPassReport
    ) async throws {
        guard !runs.isEmpty || !deleted.isEmpty else { return }
        var batch = RunBatch(source: source, runs: runs, deletedRunIds: deleted, observedAt: timestamp())
        batch.readSince = readSince.map(timestamp(of:))
        _ = try await session.apply(batch)
    }

    // MARK: Unfinished runs

    /// The first page of the status-filtered list, and the requests it took.
    private func firstUnfinishedPage(
        _ source: RunSource,
        budget: RequestBudget
    ) async throws -> (page: RunListPage, requests: Int) {
        var counts = TaskPassReport(source: source)
        let page = try await list(source, offset: 0, statuses: RunStatus.unfinished, budget: budget, report: &counts)
        return (page, counts.requests)
    }

    private func refreshUnfinished(
        _ source: RunSource,
        from firstPage: RunListPage?,
        budget: RequestBudget,
        session: WriteSession,
        logger: Logger,
        report: inout TaskPassReport
    ) async throws {
        var seen = Set<String>()
        var offset = 0
        var previous: (offset: Int, ids: Set<String>)?
        let wanted = Set(RunStatus.unfinished)
        var prefetched: RunListPage? = firstPage
        while true {
            let page: RunListPage
            if let first = prefetched {
                page = first
                prefetched = nil
            } else {
                page = try await list(
                    source,
                    offset: offset,
                    statuses: RunStatus.unfinished,
                    budget: budget,
                    report: &report
                )
            }
            try await store(page.items, of: source, readSince: page.requestedAt, session: session, report: &report)
            let ids = Set(page.items.lazy.map(\.id))
            if page.items.contains(where: { !wanted.contains($0.status) }) {
                // The filter was ignored: the list goes on through the whole history. What came is
                // stored; the tracked runs are refreshed below, at a cost bounded by their number.
                logger.notice(
                    "the API ignored the status filter; refreshing unfinished runs one by one",
                    metadata: ["event": "status_filter_ignored"]
                )
                seen = []
                break
            }
            if let previous, !ids.isEmpty, ids == previous.ids {
                throw SyncFault.noProgress(offset: offset, previousOffset: previous.offset)
            }
            seen.formUnion(ids)
            guard !CursorPlanner.isLast(start: offset, distinctCount: ids.count, total: page.total) else { break }
            previous = (offset, ids)
            // The next page starts before the last startedAt group, as the forward read's do: a group
            // split between two pages may come in another order in the second.
            offset =
                CursorPlanner.continuation(
                    start: offset,
                    items: ForwardRead.plannerItems(page),
                    startedAt: { page.items[$0].startedAt },
                    previous: .start,
                    overlap: CursorPlanner.overlap(forLimit: ids.count)
                ).next
        }
        let tracked = try await store.unfinishedRuns(of: source).filter { !seen.contains($0.id) }
        let due = backoff.due(tracked, of: source)
        guard !due.isEmpty else { return }
        // At most a request per run, whatever the ranges and the head probe save.
        budget.allow(2 * due.count + 3)
        var remaining = Dictionary(due.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        if due.count >= Self.minimumRunsForRanges {
            // Runs older than the oldest listed run were removed by retention, not finished: marked
            // from one probe instead of a 404 each.
            let head = try await checkHead(source, budget: budget, session: session, report: &report)
            // The count check compares the stored count with this total, which goes with the marks
            // made now: deletions after this request are neither counted nor marked.
            report.listTotal = head.total ?? report.listTotal
            if let headInstant = head.oldest.flatMap(ISOTimestamp.milliseconds) {
                remaining = remaining.filter { _, run in
                    run.startedAt.flatMap(ISOTimestamp.milliseconds).map { $0 >= headInstant } ?? true
                }
            }
        }
        let dueNow = due.filter { remaining[$0.id] != nil }
        if dueNow.count >= Self.minimumRunsForRanges, let end = report.listEnd {
            let offsets = try await estimatedOffsets(of: dueNow, source: source, listEnd: end)
            let starts = RangePlanner.pageStarts(offsets: offsets.map(\.offset), pageSize: pageSize)
            if starts.count < dueNow.count {
                for start in starts {
                    let page = try await list(source, offset: start, budget: budget, report: &report)
                    try await store(
                        page.items,
                        of: source,
                        readSince: page.requestedAt,
                        session: session,
                        report: &report
                    )
                    for run in page.items {
                        if let before = remaining.removeValue(forKey: run.id) {
                            backoff.refreshed(before, now: run.status, of: source)
                        }
                    }
                }
            }
        }
        var refreshed: [RunRecord] = []
        let refreshStarted = ContinuousClock.now
        var deleted: [String] = []
        for run in due where remaining[run.id] != nil {
            report.requests += 1
            try budget.spend()
            // A 404 is asked again once before the run is marked deleted: the API has answered 404 for
            // runs that exist (and a run seen again in a list comes back to life anyway).
            var current = try await client.run(id: run.id)
            if current == nil {
                report.requests += 1
                try budget.spend()
                current = try await client.run(id: run.id)
            }
            if let current {
                report.itemsRead += 1
                refreshed.append(current)
                backoff.refreshed(run, now: current.status, of: source)
            } else {
                deleted.append(run.id)
                backoff.refreshed(run, now: nil, of: source)
            }
        }
        try await store(
            refreshed,
            of: source,
            deleted: deleted,
            readSince: refreshStarted,
            session: session,
            report: &report
        )
    }

    /// Where each run probably sits in the list: the list's end minus the number of stored live runs
    /// that started at or after it. Runs without a readable `startedAt`, or older than the window of
    /// recent runs looked at, get no estimate (and are fetched one by one).
    private func estimatedOffsets(
        of runs: [UnfinishedRun],
        source: RunSource,
        listEnd: Int
    ) async throws -> [(id: String, offset: Int)] {
        let dated = runs.compactMap { run in run.startedAt.flatMap(ISOTimestamp.milliseconds).map { (run.id, $0) } }
        guard let oldest = dated.map(\.1).min() else { return [] }
        let starts = try await store.liveStartTimes(of: source, from: oldest).sorted()
        return dated.compactMap { id, instant in
            // Runs at or after this one, by instant (a binary search); the run itself is among them.
            var (low, high) = (0, starts.count)
            while low < high {
                let mid = (low + high) / 2
                if starts[mid] < instant { low = mid + 1 } else { high = mid }
            }
            guard low < starts.count else { return nil }
            return (id, max(0, listEnd - (starts.count - low)))
        }
    }

    // MARK: The count check

    /// Reads the head of the list, the oldest listed run and a fresh `total`, and marks deleted the
    /// stored runs retention removed: those that started before the oldest listed run, and those
    /// instants cannot tell (undated runs, which sort first; runs sharing the oldest run's
    /// `startedAt`) by identity: the head is then read as a page, and the stored ones it does not
    /// hold are gone.
    private func checkHead(
        _ source: RunSource,
        budget: RequestBudget,
        session: WriteSession,
        report: inout TaskPassReport
    ) async throws -> (total: Int?, oldest: String?) {
        let markedBefore = report.markedDeleted
        defer { headChecks.checked(source, foundDeletions: report.markedDeleted > markedBefore) }
        let undated = try await store.liveUndatedRuns(of: source)
        var head = try await list(
            source,
            offset: 0,
            limit: undated.isEmpty ? 1 : pageSize,
            budget: budget,
            report: &report
        )
        var oldest = head.items.lazy.compactMap(\.startedAt).first
        var tied: [String] = []
        if let instant = oldest.flatMap(ISOTimestamp.milliseconds) {
            tied = try await store.liveRuns(of: source, startedAt: instant)
            if tied.count > 1 && head.items.count == 1 {
                head = try await list(source, offset: 0, budget: budget, report: &report)
                oldest = head.items.lazy.compactMap(\.startedAt).first
            }
        }
        // The page holds the whole head group only if it goes on past it (or is the whole list).
        let instants = head.items.map { $0.startedAt.flatMap(ISOTimestamp.milliseconds) }
        let headInstant = instants.lazy.compactMap { $0 }.first
        let pastHead =
            instants.contains { $0 != nil && $0 != headInstant }
            || CursorPlanner.isLast(start: 0, distinctCount: Set(head.items.map(\.id)).count, total: head.total)
        if pastHead {
            let listedIds = Set(head.items.lazy.map(\.id))
            let gone = (undated + (tied.count > 1 ? tied : [])).filter { !listedIds.contains($0) }
            try await store([], of: source, deleted: gone, readSince: nil, session: session, report: &report)
            try await settle(&report, session)
        }
        if let oldest {
            report.markedDeleted += try await store.markRetentionDeleted(
                source: source,
                oldestLive: oldest,
                at: timestamp()
            )
        }
        return (head.total, oldest)
    }

    /// Compares the API's `total` with the task's live stored runs, and repairs what it reveals.
    ///
    /// `list_excess` is the difference the last check could not explain (deletions in the middle of
    /// the list leave more stored than listed for good; a `total` the API keeps wrong leaves the
    /// other sign). Only a change of the difference costs requests: one probe for a fresh `total`
    /// and the oldest listed run, then the marking of retention deletions, or the search for what
    /// was missed.
    private func checkCount(
        _ source: RunSource,
        budget: RequestBudget,
        session: WriteSession,
        logger: Logger,
        report: inout TaskPassReport
    ) async throws {
        // A keyset read saw only the runs from its watermark on: their stored count comes with the
        // source's, in the same call.
        let keysetTail = report.listTotal == nil && report.tailTotal != nil ? report.tailStart : nil
        let (stored, excess, storedTail) = try await store.liveCount(of: source, startedFrom: keysetTail)
        let baseline = excess ?? 0
        let periodic = headChecks.due(source)
        var total: Int
        var headRead = false
        if let listed = report.listTotal {
            guard listed - stored != baseline || periodic else { return }
            total = listed
        } else if let storedTail, let tailTotal = report.tailTotal {
            // Those runs are compared, and the whole list's total is read only when they differ, or
            // for the periodic head check.
            guard tailTotal != storedTail || periodic else { return }
            budget.allow(1)
            guard let listed = try await checkHead(source, budget: budget, session: session, report: &report).total
            else { return }
            (total, headRead) = (listed, true)
            guard listed - stored != baseline || periodic else { return }
        } else {
            return
        }
        // The head (up to two reads), the newest and the oldest page; re-reads add their own.
        budget.allow(4)
        // A fresh total (runs created or deleted since the forward read's last page count too), and
        // the oldest listed run, which tells retention deletions from missed runs. A read that began
        // at offset 0 (a backfill) has just seen both.
        // A read of one page from offset 0 saw the head and the total together; a longer one saw the
        // head long before its last total, so the head is read again.
        if headRead {
            // Read just now, by the keyset check above.
        } else if let oldest = report.oldestListed, (report.listEnd ?? .max) <= pageSize {
            report.markedDeleted += try await store.markRetentionDeleted(
                source: source,
                oldestLive: oldest,
                at: timestamp()
            )
            headChecks.checked(source, foundDeletions: false)
        } else {
            total = try await checkHead(source, budget: budget, session: session, report: &report).total ?? total
        }
        var live = try await store.liveCount(of: source).liveRuns
        var rescanned = false
        let missing = total - live - baseline
        if missing > 0 {
            report.countMismatch = missing
            logger.info(
                "the API lists more runs than are stored, looking for them",
                metadata: [
                    "event": "count_mismatch", "listed": .stringConvertible(total), "stored": .stringConvertible(live),
                ]
            )
            // Runs found are counted as stored or revived: the list's `total` alone would mislead while
            // retention deletes runs during the search.
            let before = report.inserted + report.revived
            func found() -> Int { report.inserted + report.revived - before }
            // The newest page (late inserts, runs that were hidden or answered 404), then the oldest
            // (undated runs sort first, and it shows where retention stands), then the whole list
            // while each read finds more.
            let newest = try await list(source, offset: 0, desc: true, budget: budget, report: &report)
            try await store(newest.items, of: source, readSince: newest.requestedAt, session: session, report: &report)
            try await settle(&report, session)
            var oldest: String?
            if found() < missing {
                let page = try await list(source, offset: 0, budget: budget, report: &report)
                try await store(page.items, of: source, readSince: page.requestedAt, session: session, report: &report)
                try await settle(&report, session)
                total = page.total ?? total
                oldest = page.items.lazy.compactMap(\.startedAt).first
            }
            var rescans = 0
            while found() < missing, rescans < Self.maximumRescans {
                rescans += 1
                rescanned = true
                let foundBefore = found()
                report.cursorPath = report.cursorPath.escalated(to: .rescanned)
                budget.allow(RequestBudget.forList(total: total, pageSize: pageSize))
                report.oldestListed = nil
                report.cursor = try await ForwardRead(
                    engine: self,
                    source: source,
                    logger: logger,
                    budget: budget,
                    session: session,
                    // A re-read from the start is by offset; the cursor it leaves is still the kind the source keeps.
                    keysetCursor: usesKeyset(source)
                ).run(
                    from: .start,
                    report: &report
                )
                try await settle(&report, session)
                total = report.listTotal ?? total
                oldest = report.oldestListed ?? oldest
                if found() == foundBefore { break }
            }
            if let oldest {
                report.markedDeleted += try await store.markRetentionDeleted(
                    source: source,
                    oldestLive: oldest,
                    at: timestamp()
                )
            }
            live = try await store.liveCount(of: source).liveRuns
        } else if missing < 0 {
            // More stored than listed, and not by retention at the head: runs deleted in the middle of
            // the list. A complete re-read marks them (each page marks the stored runs it proves gone).
            logger.info(
                "more runs are stored than listed, reading the list again",
                metadata: [
                    "event": "count_mismatch", "listed": .stringConvertible(total), "stored": .stringConvertible(live),
                ]
            )
            rescanned = true
            report.cursorPath = report.cursorPath.escalated(to: .rescanned)
            budget.allow(RequestBudget.forList(total: total, pageSize: pageSize))
            report.cursor = try await ForwardRead(
                engine: self,
                source: source,
                logger: logger,
                budget: budget,
                session: session,
                // A re-read from the start is by offset; the cursor it leaves is still the kind the source keeps.
                keysetCursor: usesKeyset(source)
            ).run(
                from: .start,
                report: &report
            )
            try await settle(&report, session)
            total = report.listTotal ?? total
            if let oldest = report.oldestListed {
                report.markedDeleted += try await store.markRetentionDeleted(
                    source: source,
                    oldestLive: oldest,
                    at: timestamp()
                )
            }
            live = try await store.liveCount(of: source).liveRuns
        }
        let difference = total - live
        // Recorded only what a complete re-read could not explain (a `total` the API keeps wrong);
        // anything else is looked at again at the next pass.
        // A negative difference (stored runs the list no longer holds, that a complete re-read could not
        // mark) costs nothing to keep: recorded even after unproven pages.
        let proven = rescanned && (!report.unproven || difference < 0)
        let recorded = proven ? difference : difference == baseline ? baseline : 0
        if recorded != baseline {
            try await store.setListExcess(recorded == 0 ? nil : recorded, of: source, at: timestamp())
        }
        if rescanned && difference > max(baseline, 0) {
            // Recorded above (unless a page was unproven: then the next pass looks again), so that the
            // next pass does not read everything again for the same difference; this one fails, so
            // that the difference is reported, never passed over.
            throw SyncFault.countUnexplained(listed: total, missing: difference)
        }
    }
}
