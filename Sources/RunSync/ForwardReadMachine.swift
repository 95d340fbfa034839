import ApifyAPI
import RunModel
import RunStore

/// The forward read's bookkeeping, without I/O: given what happened (`Event`), what to start next
/// (`Action`). `ForwardRead` runs the actions in a task group and feeds their outcomes back, so that
/// the limits below are unit-tested without HTTP or SQLite (`ForwardReadMachineTests`).
///
/// Pages flow through four stages:
/// 1. **Prefetched**: raw pages fetched ahead of the verified cursor, at the offsets the read is
///    predicted to reach (each page's continuation is its start plus the stride of the last page),
///    up to `window` of them in flight, so that a distant API answers several pages per round trip.
///    A prefetched page is used only for the exact offset the verified read arrives at, and only
///    after the same proof as any page; a misprediction costs a request, never a run.
/// 2. **Verified** (`fetch`): one at a time, each against the cursor the previous page led to,
///    possibly with more requests (relocation after deletions); at most `queuedPages` wait to be
///    written, which stops the read when the store falls behind.
/// 3. **Planned**: the waiting pages, up to `pagesPerBatch`, become one batch, atomic with the cursor
///    of its last page, planned off the store's thread.
/// 4. **Written**: at most `writesInFlight` batches are queued on the store, in order.
///
/// After a failed write nothing more is planned or written, the read stops and the group is
/// cancelled; after a failed fetch, the pages verified before it are still written.
struct ForwardReadMachine {
    struct Limits: Sendable {
        var pagesPerBatch = 4
        var queuedPages = 2
        var writesInFlight = 2
        /// The most pages fetched ahead, whatever the latency.
        var maximumWindow = 8
    }

    enum Event {
        /// A prefetch at `offset` answered (nil: it failed, or was cancelled).
        case prefetched(offset: Int, page: RunListPage?)
        case fetched(ForwardRead.Step)
        case fetchFailed(any Error)
        case planned(BatchPlan)
        case written
        case writeFailed(any Error)
    }

    enum Action {
        /// Fetch a raw page ahead of the verified read.
        case prefetch(offset: Int, limit: Int)
        /// Fetch (unless `prefetched` holds the page already) and verify the page at `position`.
        case fetch(ForwardRead.Position, prefetched: RunListPage?)
        /// Plan a batch of these verified pages, with this cursor (nil: the cursor stays as stored).
        case plan([ForwardRead.Step], cursor: TaskCursor?)
        case write(BatchPlan)
        /// Stop everything in flight.
        case cancelAll
    }

    private enum Prefetch {
        case inFlight
        case answered(RunListPage)
    }

    let limits: Limits
    /// How many pages may be fetched ahead now (1: none); the driver adapts it to the latency.
    var window = 1
    /// The cursor of the last verified page.
    private(set) var cursor: TaskCursor
    private(set) var firstError: (any Error)?
    /// Requests made ahead whose pages were not used.
    private(set) var wastedPrefetches = 0

    private let persisted: (TaskCursor) -> TaskCursor
    private var writtenCursor: TaskCursor
    private var queue: [ForwardRead.Step] = []
    private var fetchInFlight = false
    private var pendingFetch: ForwardRead.Position?
    private var prefetches: [Int: Prefetch] = [:]
    /// How far one verified page moved the read, for predicting the next offsets.
    private var stride: Int?
    /// The list's last known length: nothing is prefetched from there on.
    private var total: Int?
    private var pageSize: Int
    private var planning = false
    private var planned: BatchPlan?
    private var writesInFlight = 0
    private var writeFailed = false

    /// A read from `first`, continuing `stored`; cursors are written as `persisted` makes them.
    init(
        first: ForwardRead.Position,
        stored: TaskCursor,
        limits: Limits = Limits(),
        persisted: @escaping (TaskCursor) -> TaskCursor = { $0 }
    ) {
        self.limits = limits
        self.cursor = stored
        self.persisted = persisted
        self.writtenCursor = persisted(stored)
        self.pendingFetch = first
        self.pageSize = first.limit
    }

    /// Whether the read is over but for prefetches still in flight, whose answers nothing needs.
    var isDone: Bool {
        !fetchInFlight && !planning && planned == nil && writesInFlight == 0 && queue.isEmpty
            && (pendingFetch == nil || firstError != nil)
    }

    /// Pages fetched ahead and held or awaited (the memory the window costs).
    var prefetchesHeld: Int { prefetches.count }

    /// The actions to begin with.
    mutating func start() -> [Action] { advance() }

    /// Records an event; returns the actions it makes possible.
    mutating func handle(_ event: Event) -> [Action] {
        var actions: [Action] = []
        switch event {
        case .prefetched(let offset, let page):
            guard case .inFlight? = prefetches[offset] else { break }
            if let page, firstError == nil {
                prefetches[offset] = .answered(page)
                if let pageTotal = page.total { total = pageTotal }
            } else {
                prefetches[offset] = nil
                wastedPrefetches += 1
            }
        case .fetched(let step):
            fetchInFlight = false
            // A page verified after a write failed is never written: its cursor would not hold.
            guard !writeFailed else { break }
            cursor = step.cursorAfter
            queue.append(step)
            pendingFetch = step.next
            if let listTotal = step.page.total { total = listTotal }
            if let next = step.next {
                stride = next.start - step.start
            } else {
                dropPrefetches()
            }
        case .fetchFailed(let error):
            fetchInFlight = false
            firstError = firstError ?? error
            dropPrefetches()
        case .planned(let plan):
            planning = false
            if !writeFailed { planned = plan }
        case .written:
            writesInFlight -= 1
        case .writeFailed(let error):
            writesInFlight -= 1
            writeFailed = true
            firstError = firstError ?? error
            queue.removeAll()
            planned = nil
            pendingFetch = nil
            dropPrefetches()
            actions.append(.cancelAll)
        }
        return actions + advance()
    }

    private mutating func advance() -> [Action] {
        var actions: [Action] = []
        if writesInFlight < limits.writesInFlight, let plan = planned {
            planned = nil
            writesInFlight += 1
            actions.append(.write(plan))
        }
        if !planning, planned == nil, writesInFlight < limits.writesInFlight, !writeFailed, !queue.isEmpty {
            let pages = Array(queue.prefix(limits.pagesPerBatch))
            queue.removeFirst(pages.count)
            let last = persisted(pages.last!.cursorAfter)
            let cursor = last == writtenCursor ? nil : last
            writtenCursor = last
            planning = true
            actions.append(.plan(pages, cursor: cursor))
        }
        guard firstError == nil, let position = pendingFetch else { return actions }
        if !fetchInFlight, queue.count < limits.queuedPages {
            switch prefetches[position.start] {
            case .inFlight?:
                break
            case .answered(let page)?:
                prefetches[position.start] = nil
                pendingFetch = nil
                fetchInFlight = true
                actions.append(.fetch(position, prefetched: page))
            case nil:
                pendingFetch = nil
                fetchInFlight = true
                actions.append(.fetch(position, prefetched: nil))
            }
        }
        return actions + prefetch(from: position)
    }

    /// Fetches ahead: the offsets `position` and the pages after it are predicted to start at, as
    /// many as the window allows; pages held for other offsets are dropped.
    private mutating func prefetch(from position: ForwardRead.Position) -> [Action] {
        let window = min(max(1, window), limits.maximumWindow)
        guard window > 1, let stride, stride > 0 else {
            dropPrefetches(keeping: [])
            return []
        }
        // The position itself is fetched ahead only while it waits for room in the queue.
        let first = pendingFetch == nil ? 1 : 0
        let wanted = (first..<window).map { position.start + $0 * stride }.filter { offset in
            total.map { offset < $0 } ?? true
        }
        dropPrefetches(keeping: Set(wanted + [position.start]))
        var actions: [Action] = []
        for offset in wanted where prefetches[offset] == nil {
            prefetches[offset] = .inFlight
            actions.append(.prefetch(offset: offset, limit: pageSize))
        }
        return actions
    }

    private mutating func dropPrefetches(keeping kept: Set<Int> = []) {
        for offset in prefetches.keys where !kept.contains(offset) {
            prefetches[offset] = nil
            wastedPrefetches += 1
        }
    }
}
