import ApifyAPI
import Logging
import RunModel
import RunStore

/// The forward half of a pass: pages fetched, verified, planned and written, the three overlapped.
///
/// Fetch steps run one at a time (each verified against the previous page's last run); writes run one
/// at a time on the store's queue. Verified pages queue up, and the next batch takes all of them (up
/// to `maximumPagesPerBatch`), atomic with the cursor of the last (the store's shared transaction then
/// groups batches into commits). A batch is planned (`BatchPlan`: its order, text and durations) while
/// the previous one is written, and queued on the store behind it, so that the store's thread, the
/// bottleneck of a backfill, goes from one write to the next without waiting. At most
/// `maximumQueuedPages` wait and `maximumWritesInFlight` batches exist, which bounds memory. A failed
/// fetch still lets the pages before it be written; after a failed write nothing more is (the batch
/// queued behind it refuses, see `WriteChain`); every write is awaited, so every batch written is
/// accounted for.
struct ForwardRead {
    let engine: SyncEngine
    let taskId: String
    let logger: Logger

    /// Measured with the benchmark (see the README): up to 4 pages per batch and 2 waiting pages keep
    /// peak memory at 42 MiB; a third waiting page was 3% faster for 5 MiB more, too close to the
    /// 50 MiB budget.
    static let maximumPagesPerBatch = 4
    static let maximumQueuedPages = 2
    /// One batch being written and the next one queued behind it on the store (see `WriteChain`):
    /// the store's thread then goes from one to the next without waiting for this task to be
    /// scheduled (that wait was 1.2 ms per batch, 8% of a backfill). A batch is planned only when
    /// fewer than this many are queued, so that at most this many batches are in memory.
    static let maximumWritesInFlight = 2

    /// One verified page and what it cost to get it.
    struct Step: Sendable {
        var start: Int
        var page: RunListPage
        var cursorAfter: TaskCursor
        var isLast: Bool
        var requests = 0
        var itemsRead = 0
        var path: TaskPassReport.CursorPath?
        var shift: Int?
        var markedDeleted = 0
        var checkedRetention = false
    }

    private enum Event: Sendable {
        case fetched(Step)
        case fetchFailed(any Error)
        case planned(BatchPlan)
        case written(AppliedBatch)
        case writeFailed(any Error)
    }

    /// Reads from `stored` to the end of the list; returns the final cursor.
    func run(from stored: TaskCursor, report: inout TaskPassReport) async throws -> TaskCursor {
        var cursor = stored
        var writtenCursor = stored
        var queue: [Step] = []
        var planning = false
        var planned: BatchPlan?
        var writesInFlight = 0
        var writeFailed = false
        let chain = WriteChain()
        var fetchInFlight = false
        /// Where to fetch next, when a fetch is due but the queue is full.
        var pendingFetch: (start: Int, anchor: TaskCursor)? = (
            CursorPlanner.firstReadOffset(for: stored, overlap: engine.passOverlap), stored
        )
        var retentionChecked = false
        var firstError: (any Error)?

        await withTaskGroup(of: Event.self) { group in
            func startFetchIfRoom() {
                guard !fetchInFlight, firstError == nil, queue.count < Self.maximumQueuedPages,
                    let (start, anchor) = pendingFetch
                else { return }
                pendingFetch = nil
                fetchInFlight = true
                let checkRetention = !retentionChecked
                group.addTask {
                    do {
                        return .fetched(try await step(at: start, anchor: anchor, checkRetention: checkRetention))
                    } catch {
                        return .fetchFailed(error)
                    }
                }
            }
            func startPlanIfIdle() {
                guard !planning, planned == nil, writesInFlight < Self.maximumWritesInFlight, !writeFailed,
                    !queue.isEmpty
                else { return }
                let pages = Array(queue.prefix(Self.maximumPagesPerBatch))
                queue.removeFirst(pages.count)
                let last = pages.last!.cursorAfter
                let cursor = last == writtenCursor ? nil : last
                let observedAt = engine.timestamp()
                writtenCursor = last
                planning = true
                group.addTask { [taskId] in
                    let runs = pages.flatMap(\.page.items)
                    return .planned(
                        BatchPlan(RunBatch(taskId: taskId, runs: runs, cursor: cursor, observedAt: observedAt))
                    )
                }
            }
            func startWriteIfRoom() {
                guard writesInFlight < Self.maximumWritesInFlight, let plan = planned else { return }
                planned = nil
                writesInFlight += 1
                let store = engine.store
                let earlier = report.pendingEpochs
                group.addTask {
                    do {
                        return .written(try await store.apply(plan, after: earlier, chain: chain))
                    } catch {
                        return .writeFailed(error)
                    }
                }
            }

            startFetchIfRoom()
            while let event = await group.next() {
                switch event {
                case .fetched(let step):
                    fetchInFlight = false
                    report.requests += step.requests
                    report.itemsRead += step.itemsRead
                    report.markedDeleted += step.markedDeleted
                    retentionChecked = retentionChecked || step.checkedRetention
                    if let path = step.path { report.cursorPath = report.cursorPath.escalated(to: path) }
                    if let shift = step.shift { report.shift = shift }
                    cursor = step.cursorAfter
                    queue.append(step)
                    if !step.isLast {
                        pendingFetch = (
                            CursorPlanner.continuationOffset(start: step.start, count: step.page.items.count), cursor
                        )
                    }
                case .fetchFailed(let error):
                    fetchInFlight = false
                    firstError = firstError ?? error
                case .planned(let plan):
                    planning = false
                    if !writeFailed { planned = plan }
                case .written(let applied):
                    writesInFlight -= 1
                    report.add(applied)
                case .writeFailed(let error):
                    writesInFlight -= 1
                    writeFailed = true
                    firstError = firstError ?? error
                    queue.removeAll()
                    planned = nil
                    group.cancelAll()
                }
                startWriteIfRoom()
                startPlanIfIdle()
                startFetchIfRoom()
            }
        }
        if let firstError { throw firstError }
        return cursor
    }

    /// Fetches the page at `start` and verifies it; relocates (binary search, or a rescan) until a page is safe.
    private func step(at start: Int, anchor: TaskCursor, checkRetention: Bool) async throws -> Step {
        var step = Step(start: start, page: RunListPage(items: []), cursorAfter: anchor, isLast: false)
        var start = start
        var attempts = 0
        step.page = try await list(offset: start, step: &step)
        while true {
            let verdict = CursorPlanner.verdict(
                start: start,
                ids: step.page.items.lazy.map(\.id),
                firstStartedAt: step.page.items.first?.startedAt,
                anchor: anchor
            )
            switch verdict {
            case .lost:
                attempts += 1
                start = try await relocate(
                    anchor: anchor,
                    failedStart: start,
                    total: step.page.total,
                    attempts: attempts,
                    step: &step
                )
                if checkRetention && step.path == .located && !step.checkedRetention {
                    try await markRetentionDeletions(step: &step)
                }
                step.page = try await list(offset: start, step: &step)
                continue
            case .safe(let anchorIndex):
                if let anchorIndex {
                    let shift = (anchor.nextOffset - 1) - (start + anchorIndex)
                    if shift != 0 {
                        step.shift = shift
                        if step.path == nil { step.path = .realigned }
                        logger.info(
                            "cursor realigned",
                            metadata: [
                                "event": "cursor_realigned", "shift": "\(shift)",
                                "reason":
                                    "\(shift > 0 ? "runs deleted before the anchor" : "runs inserted before the anchor")",
                            ]
                        )
                        if shift > 0 && checkRetention && !step.checkedRetention {
                            try await markRetentionDeletions(step: &step)
                        }
                    }
                }
            }
            step.start = start
            let last = step.page.items.last.map { (id: $0.id, startedAt: $0.startedAt) }
            step.cursorAfter = CursorPlanner.cursor(
                afterPageAt: start,
                count: step.page.items.count,
                last: last,
                previous: anchor
            )
            step.isLast = step.page.items.count < engine.pageSize
            return step
        }
    }

    /// Finds where to read again after an unsafe page: by binary search, or from 0 as the last resort.
    private func relocate(
        anchor: TaskCursor,
        failedStart: Int,
        total: Int?,
        attempts: Int,
        step: inout Step
    ) async throws -> Int {
        guard attempts <= SyncEngine.locateAttempts, let anchorStartedAt = anchor.anchorStartedAt,
            ISOTimestamp.milliseconds(anchorStartedAt) != nil
        else {
            step.path = .rescanned
            logger.warning(
                "cursor lost, reading the task again from offset 0",
                metadata: [
                    "event": "cursor_rescan", "attempts": "\(attempts)", "expected_offset": "\(anchor.nextOffset)",
                ]
            )
            return 0
        }
        var low = 0
        var high = min(failedStart, total ?? failedStart)
        while low < high {
            let mid = low + (high - low) / 2
            let probe = try await list(offset: mid, limit: 1, step: &step)
            let startedAt: String?? = probe.items.first.map { $0.startedAt }
            (low, high) = CursorPlanner.narrow(
                low: low,
                high: high,
                mid: mid,
                probeStartedAt: startedAt,
                anchorStartedAt: anchorStartedAt
            )
        }
        step.path = .located
        step.shift = anchor.nextOffset - low
        logger.info(
            "cursor located by startedAt",
            metadata: [
                "event": "cursor_located", "reason": "anchor run deleted or moved past the overlap",
                "expected_offset": "\(anchor.nextOffset)", "found_offset": "\(low)",
            ]
        )
        return max(0, low - 1)
    }

    /// Marks stored runs older than the oldest live run as deleted: data retention removed them.
    private func markRetentionDeletions(step: inout Step) async throws {
        step.checkedRetention = true
        let head = try await list(offset: 0, limit: 1, step: &step)
        guard let oldest = head.items.first?.startedAt else { return }
        step.markedDeleted += try await engine.store.markDeleted(
            taskId: taskId,
            startedBefore: oldest,
            at: engine.timestamp()
        )
    }

    private func list(offset: Int, limit: Int? = nil, step: inout Step) async throws -> RunListPage {
        step.requests += 1
        let page = try await engine.client.listRuns(task: taskId, offset: offset, limit: limit ?? engine.pageSize)
        step.itemsRead += page.items.count
        return page
    }
}
