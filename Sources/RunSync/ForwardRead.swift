import ApifyAPI
import Logging
import RunModel
import RunStore

/// The forward half of a pass: pages fetched (some ahead), verified, planned and written, all four
/// overlapped. `ForwardReadMachine` decides what runs when (and is where the limits are, and their
/// tests); this type does the work: fetching and verifying a page (`step`, with the proof of
/// `CursorPlanner` and relocation when it fails), planning a batch (`BatchPlan`, off the store's
/// thread) and writing it through the pass's `WriteSession`. Every task it starts is awaited, so
/// every batch written is accounted for.
struct ForwardRead {
    let engine: SyncEngine
    let source: RunSource
    let logger: Logger
    let budget: RequestBudget
    /// Where the pages go: written in order, each only after every earlier one was.
    let session: WriteSession
    /// Whether written pages also mark stored runs they prove gone (`RunBatch.sweeps`): not in a
    /// first backfill, where nothing stored can be missing from the list.
    var sweeps = true
    /// The keyset cursor (docs/sync.md, "Two cursors"): the list is read from `startedAfter`, so
    /// that deletions of older runs do not move it, and the cursors written say where to read from
    /// by the watermark alone (offset 0 of the list from the watermark on).
    var keysetCursor = false
    /// This read's lower bound: the list of runs started at or after it (nil: the whole list).
    var startedAfter: String?

    /// Pages per batch and pages waiting: what keeps peak memory within its budget at full speed
    /// (docs/performance.md, "The forward read").
    static let maximumPagesPerBatch = 4
    static let maximumQueuedPages = 2
    /// One batch being written and the next one queued behind it on the store (see `WriteChain`):
    /// the store's thread then goes from one to the next without waiting for this task to be
    /// scheduled (docs/performance.md has what that wait cost). A batch is planned only when
    /// fewer than this many are queued, so that at most this many batches are in memory.
    static let maximumWritesInFlight = 2

    /// Where the next read goes: its offset, the cursor it must continue, and how many runs to ask for.
    struct Position: Sendable {
        var start: Int
        var cursor: TaskCursor
        /// The previous page was one `startedAt` group (`CursorPlanner.verdict`).
        var tieRun = false
        var limit: Int
        /// The previous page of this read: where it was read, and its runs. A page read elsewhere that
        /// holds exactly the same runs was served without regard to the offset.
        var previousStart: Int?
        var previousIds: Set<String> = []
        var previousTotal: Int?
    }

    /// One verified page and what it cost to get it.
    struct Step: Sendable {
        var start: Int
        var page: RunListPage
        var cursorAfter: TaskCursor
        /// Where to read next; nil when this page ends the list.
        var next: Position?
        var requests = 0
        var itemsRead = 0
        var path: TaskPassReport.CursorPath?
        var shift: Int?
        /// The page was fetched ahead, before the page before it was verified.
        var wasReadAhead = false

        /// The `startedAt` of the page's first and last dated runs.
        var span: (first: String, last: String)? {
            guard let first = page.items.lazy.compactMap(\.startedAt).first,
                let last = page.items.reversed().lazy.compactMap(\.startedAt).first
            else { return nil }
            return (first, last)
        }
    }

    /// Reads from `stored` to the end of the list; returns the final cursor. Drives a
    /// `ForwardReadMachine`: runs its actions in a task group and feeds their outcomes back.
    func run(from stored: TaskCursor, report: inout TaskPassReport) async throws -> TaskCursor {
        var machine = ForwardReadMachine(
            first: Position(
                start: CursorPlanner.firstReadOffset(for: stored, overlap: engine.passOverlap),
                cursor: stored,
                limit: engine.pageSize
            ),
            stored: stored,
            limits: ForwardReadMachine.Limits(
                pagesPerBatch: Self.maximumPagesPerBatch,
                queuedPages: Self.maximumQueuedPages,
                writesInFlight: Self.maximumWritesInFlight,
                maximumWindow: engine.readAhead.maximumWindow
            ),
            persisted: persisted
        )
        var window = ReadAheadWindow(settings: engine.readAhead, throttled: engine.client.throttledResponses)
        /// The last verified page: a page asked for before it was answered may hold older copies of
        /// the runs they share.
        var previous: Step?
        var wasted = 0
        await withTaskGroup(of: (ForwardReadMachine.Event, Outcome).self) { group in
            func perform(_ actions: [ForwardReadMachine.Action]) {
                for action in actions {
                    switch action {
                    case .prefetch(let offset, let limit):
                        group.addTask {
                            var step = Step(start: offset, page: RunListPage(items: []), cursorAfter: .start)
                            var asked = limit
                            do {
                                let page = try await list(offset: offset, limit: &asked, step: &step)
                                let outcome = Outcome(requests: step.requests, itemsRead: step.itemsRead)
                                return (.prefetched(offset: offset, page: page), outcome.fromTheWire())
                            } catch {
                                return (.prefetched(offset: offset, page: nil), Outcome(requests: step.requests))
                            }
                        }
                    case .fetch(let position, let prefetched):
                        group.addTask {
                            do {
                                let step = try await step(at: position, prefetched: prefetched)
                                return (
                                    .fetched(step), prefetched == nil ? Outcome().fromTheWire() : Outcome()
                                )
                            } catch {
                                return (.fetchFailed(error), Outcome(requests: 0))
                            }
                        }
                    case .plan(let pages, let cursor):
                        let observedAt = engine.timestamp()
                        let readSince = pages.compactMap(\.page.requestedAt).min().map(engine.timestamp(of:))
                        let sweeps = self.sweeps
                        group.addTask { [source] in
                            let runs = pages.flatMap(\.page.items)
                            var batch = RunBatch(source: source, runs: runs, cursor: cursor, observedAt: observedAt)
                            batch.readSince = readSince
                            if sweeps { batch.sweeps = pages.compactMap(\.span) }
                            return (.planned(BatchPlan(batch)), Outcome(requests: 0))
                        }
                    case .write(let plan):
                        group.addTask { [session] in
                            do {
                                _ = try await session.apply(plan)
                                return (.written, Outcome(requests: 0))
                            } catch {
                                return (.writeFailed(error), Outcome(requests: 0))
                            }
                        }
                    case .cancelAll:
                        group.cancelAll()
                    }
                }
            }

            machine.window = window.size
            perform(machine.start())
            while let (event, outcome) = await group.next() {
                report.requests += outcome.requests
                report.itemsRead += outcome.itemsRead
                var event = event
                if case .fetched(var step) = event {
                    if let previous { step.page.items = Self.ordered(step.page, after: previous.page) }
                    record(step, in: &report)
                    (previous, event) = (step, .fetched(step))
                }
                // The wire's latency, not the pacing: the window covers the round trip at the rate.
                if outcome.answeredFromTheWire, let latency = engine.client.lastRoundTrip {
                    window.observe(latency: latency)
                }
                window.observe(throttled: engine.client.throttledResponses)
                machine.window = window.size
                perform(machine.handle(event))
                // Requests made ahead for pages the read did not reach are not the API's fault: the
                // budget gets them back.
                budget.allow(machine.wastedPrefetches - wasted)
                wasted = machine.wastedPrefetches
                if machine.isDone { group.cancelAll() }
            }
        }
        report.wastedRequests += wasted
        if let firstError = machine.firstError { throw firstError }
        return persisted(machine.cursor)
    }

    /// What a task of the read cost, and whether it brought an answer from the API.
    struct Outcome: Sendable {
        var requests = 0
        var itemsRead = 0
        /// A request of this task was answered just now (its round trip is the client's last).
        var answeredFromTheWire = false

        func fromTheWire() -> Outcome {
            var outcome = self
            outcome.answeredFromTheWire = true
            return outcome
        }
    }

    /// The items of `page`, where a run it shares with `earlier` (the overlap of consecutive pages)
    /// comes as `earlier` has it when `page` was asked for before `earlier` was answered: the two
    /// reads overlapped in time, so `page`'s copy may be the older one, and written after `earlier`'s
    /// it would record a status going back (a finished run seen RUNNING again). The change is then
    /// seen at the next pass instead.
    static func ordered(_ page: RunListPage, after earlier: RunListPage) -> [RunRecord] {
        guard let requested = page.requestedAt, let answered = earlier.answeredAt, requested < answered else {
            return page.items
        }
        let copies = Dictionary(earlier.items.map { ($0.id, $0) }) { _, last in last }
        return page.items.map { copies[$0.id] ?? $0 }
    }

    /// Adds what a verified page tells to the pass's report.
    private func record(_ step: Step, in report: inout TaskPassReport) {
        report.requests += step.requests
        report.itemsRead += step.itemsRead
        if let path = step.path { report.cursorPath = report.cursorPath.escalated(to: path) }
        if let shift = step.shift { report.shift = shift }
        if step.next?.tieRun == true { report.unproven = true }
        if step.wasReadAhead { report.pagesReadAhead += 1 }
        if let startedAfter {
            // Offsets in a list that starts at an instant: not the whole list's.
            report.tailStart = startedAfter
            report.tailTotal = step.page.total ?? report.tailTotal
        } else {
            if let total = step.page.total { report.listTotal = total }
            report.listEnd = step.start + step.page.items.count
            if step.start == 0, let oldest = step.page.items.lazy.compactMap(\.startedAt).first {
                report.oldestListed = oldest
            }
        }
    }

    /// The cursor as stored: a keyset cursor is read from its watermark, at offset 0.
    private func persisted(_ cursor: TaskCursor) -> TaskCursor {
        guard keysetCursor else { return cursor }
        return TaskCursor(nextOffset: 0, anchorRunId: cursor.anchorRunId, anchorStartedAt: cursor.anchorStartedAt)
    }

    /// Fetches the page at `position` (unless it was fetched ahead) and verifies it; locates the
    /// watermark again until a page is safe. Throws when the API does not page (the offset ignored,
    /// no progress).
    private func step(at position: Position, prefetched: RunListPage? = nil) async throws -> Step {
        var step = Step(start: position.start, page: RunListPage(items: []), cursorAfter: position.cursor)
        var start = position.start
        var limit = position.limit
        if let prefetched {
            step.page = prefetched
            step.wasReadAhead = true
        } else {
            step.page = try await list(offset: start, limit: &limit, step: &step)
        }
        if position.previousStart == nil, let total = step.page.total {
            // A first page shorter than asked for, not the last, is the size the API serves.
            let served = step.page.items.count < limit && start + step.page.items.count < total
            budget.allow(RequestBudget.forList(total: total, pageSize: served ? step.page.items.count : limit))
        }
        while true {
            let items = Self.plannerItems(step.page)
            switch CursorPlanner.verdict(start: start, items: items, cursor: position.cursor, tieRun: position.tieRun) {
            case .lost:
                let end = step.page.total.map { min(start, $0) } ?? start
                start = try await locate(position.cursor, failedStart: end, step: &step)
                step.page = try await list(offset: start, limit: &limit, step: &step)
                continue
            case .safe:
                break
            }
            let distinct = Set(step.page.items.lazy.map(\.id))
            step.start = start
            if let anchor = position.cursor.anchorRunId, let index = items.firstIndex(where: { $0.id == anchor }) {
                let shift = position.cursor.nextOffset - (start + index)
                if shift != 0 && step.path == nil { (step.path, step.shift) = (.realigned, shift) }
            }
            // Deletions between the two reads can bring the same runs to another offset, but they also
            // lower the total: the same runs at another offset of an unchanged list is an ignored offset.
            if let previous = position.previousStart, previous != start, distinct == position.previousIds,
                step.page.total == position.previousTotal
            {
                throw SyncFault.noProgress(offset: start, previousOffset: previous)
            }
            if CursorPlanner.isLast(start: start, distinctCount: distinct.count, total: step.page.total) {
                let continuation = CursorPlanner.continuation(
                    start: start,
                    items: items,
                    startedAt: { step.page.items[$0].startedAt },
                    previous: position.cursor
                )
                step.cursorAfter = continuation.cursor
                return step
            }
            let continuation = CursorPlanner.continuation(
                start: start,
                items: items,
                startedAt: { step.page.items[$0].startedAt },
                previous: position.cursor,
                overlap: CursorPlanner.overlap(forLimit: min(limit, step.page.items.count))
            )
            step.cursorAfter = continuation.cursor
            step.next = Position(
                start: continuation.next,
                cursor: continuation.cursor,
                tieRun: continuation.tieRun,
                limit: min(engine.pageSize, limit * 2),
                previousStart: start,
                previousIds: distinct,
                previousTotal: step.page.total
            )
            return step
        }
    }

    /// The planner's view of a page: IDs and instants.
    static func plannerItems(_ page: RunListPage) -> [CursorPlanner.Item] {
        page.items.map { (id: $0.id, instant: $0.startedAt.flatMap(ISOTimestamp.milliseconds)) }
    }

    /// Finds where to read again after an unsafe page: the first offset whose run is not older than
    /// the watermark, searched downwards from where the read failed (galloping, then bisecting, with
    /// one-run probes: O(log shift) requests), minus the overlap. A cursor without a readable
    /// watermark can only be found again from offset 0.
    private func locate(_ cursor: TaskCursor, failedStart: Int, step: inout Step) async throws -> Int {
        guard let watermark = cursor.anchorStartedAt.flatMap(ISOTimestamp.milliseconds) else {
            step.path = .rescanned
            logger.warning(
                "cursor lost, reading the task again from offset 0",
                metadata: ["event": "cursor_rescan", "expected_offset": .stringConvertible(cursor.nextOffset)]
            )
            return 0
        }
        func probe(_ offset: Int) async throws -> Int64?? {
            var one = 1
            let page = try await list(offset: offset, limit: &one, step: &step)
            return page.items.first.map { $0.startedAt.flatMap(ISOTimestamp.milliseconds) }
        }
        // Gallop down from the failed read until a run older than the watermark (or offset 0): the
        // run at `high` is never older, every run below `low` is.
        var high = failedStart
        var low = 0
        var distance = CursorPlanner.pageOverlap
        while high > 0 {
            let candidate = max(0, high - distance)
            if CursorPlanner.isOlder(try await probe(candidate), than: watermark) {
                low = candidate + 1
                break
            }
            high = candidate
            distance *= 2
        }
        while low < high {
            let mid = low + (high - low) / 2
            if CursorPlanner.isOlder(try await probe(mid), than: watermark) { low = mid + 1 } else { high = mid }
        }
        step.path = .located
        step.shift = cursor.nextOffset - low
        logger.info(
            "cursor located by startedAt",
            metadata: [
                "event": "cursor_located",
                "reason":
                    "the runs before the cursor moved past the overlap (deletions, or pages too short to overlap)",
                "expected_offset": .stringConvertible(cursor.nextOffset), "found_offset": .stringConvertible(low),
            ]
        )
        return max(0, low - CursorPlanner.pageOverlap)
    }

    /// One list request; a page too large for the body cap is asked for again with half the limit
    /// (`limit` then stays lower for this read, and doubles back page by page).
    private func list(offset: Int, limit: inout Int, step: inout Step) async throws -> RunListPage {
        while true {
            step.requests += 1
            try budget.spend()
            do {
                let page = try await engine.client.listRuns(
                    source,
                    offset: offset,
                    limit: limit,
                    desc: false,
                    statuses: [],
                    startedAfter: startedAfter
                )
                if let echoed = page.offset, echoed != offset {
                    throw SyncFault.offsetIgnored(asked: offset, answered: echoed)
                }
                if let startedAfter, let bound = ISOTimestamp.milliseconds(startedAfter),
                    let early = page.items.first(where: {
                        $0.startedAt.flatMap(ISOTimestamp.milliseconds).map { $0 < bound } ?? true
                    })
                {
                    throw SyncFault.startedAfterIgnored(asked: startedAfter, listed: early.startedAt)
                }
                step.itemsRead += page.items.count
                return page
            } catch ApifyError.bodyTooLarge(let path, let bytes) where limit > 1 {
                limit /= 2
                logger.notice(
                    "page too large, asking for fewer runs",
                    metadata: [
                        "http_path": "\(path)", "limit_bytes": .stringConvertible(bytes),
                        "limit": .stringConvertible(limit),
                    ]
                )
            }
        }
    }
}
