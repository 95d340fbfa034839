import ApifyAPI
import RunModel
import RunStore
import Testing

@testable import RunSync

/// The forward read's limits, event by event, without HTTP or SQLite: pages waiting, batches in
/// flight, pages fetched ahead, and nothing written after a failure.
@Suite struct ForwardReadMachineTests {
    private struct Failure: Error {}

    private static func cursor(_ offset: Int) -> TaskCursor {
        TaskCursor(nextOffset: offset, anchorRunId: "r\(offset)", anchorStartedAt: "2025-01-01T00:00:00.000Z")
    }

    private static func position(_ start: Int, limit: Int = 100) -> ForwardRead.Position {
        ForwardRead.Position(start: start, cursor: cursor(start), limit: limit)
    }

    /// A verified page at `start` that leads on to `next` (nil: the last page).
    private static func step(_ start: Int, next: Int?, total: Int = 10_000) -> ForwardRead.Step {
        var step = ForwardRead.Step(
            start: start,
            page: RunListPage(total: total, items: []),
            cursorAfter: cursor(next ?? start)
        )
        step.next = next.map { position($0) }
        return step
    }

    private static func plan() -> BatchPlan { BatchPlan(RunBatch(source: .task("t"), runs: [], observedAt: "T")) }

    private enum Kind: Equatable {
        case prefetch(Int), fetch(Int, prefetched: Bool), plan(Int), write, cancel
    }

    private static func kinds(_ actions: [ForwardReadMachine.Action]) -> [Kind] {
        actions.map { action in
            switch action {
            case .prefetch(let offset, _): .prefetch(offset)
            case .fetch(let position, let page): .fetch(position.start, prefetched: page != nil)
            case .plan(let pages, _): .plan(pages.count)
            case .write: .write
            case .cancelAll: .cancel
            }
        }
    }

    @Test func onePageAtATimeWithAWindowOfOne() {
        var machine = ForwardReadMachine(first: Self.position(0), stored: .start)
        #expect(Self.kinds(machine.start()) == [.fetch(0, prefetched: false)])
        #expect(
            Self.kinds(machine.handle(.fetched(Self.step(0, next: 84)))) == [.plan(1), .fetch(84, prefetched: false)]
        )
        #expect(Self.kinds(machine.handle(.planned(Self.plan()))) == [.write])
        #expect(Self.kinds(machine.handle(.fetched(Self.step(84, next: nil)))) == [.plan(1)])
        #expect(Self.kinds(machine.handle(.written)) == [])
        #expect(Self.kinds(machine.handle(.planned(Self.plan()))) == [.write])
        #expect(!machine.isDone)
        #expect(Self.kinds(machine.handle(.written)) == [])
        #expect(machine.isDone && machine.firstError == nil && machine.cursor == Self.cursor(84))
    }

    @Test func aStoreThatFallsBehindStopsTheReadAtTheQueueLimit() {
        var machine = ForwardReadMachine(
            first: Self.position(0),
            stored: .start,
            limits: .init(pagesPerBatch: 1, queuedPages: 2, writesInFlight: 1)
        )
        _ = machine.start()
        #expect(
            Self.kinds(machine.handle(.fetched(Self.step(0, next: 100)))) == [.plan(1), .fetch(100, prefetched: false)]
        )
        #expect(Self.kinds(machine.handle(.planned(Self.plan()))) == [.write])
        // The one write in flight: the next page waits, unplanned, and the read goes on.
        #expect(Self.kinds(machine.handle(.fetched(Self.step(100, next: 200)))) == [.fetch(200, prefetched: false)])
        // Two pages wait now: no further fetch until the store takes one.
        #expect(Self.kinds(machine.handle(.fetched(Self.step(200, next: 300)))) == [])
        #expect(Self.kinds(machine.handle(.written)) == [.plan(1), .fetch(300, prefetched: false)])
        #expect(Self.kinds(machine.handle(.planned(Self.plan()))) == [.write])
    }

    @Test func nothingIsWrittenOrFetchedAfterAFailedWrite() {
        var machine = ForwardReadMachine(first: Self.position(0), stored: .start)
        _ = machine.start()
        _ = machine.handle(.fetched(Self.step(0, next: 100)))
        _ = machine.handle(.planned(Self.plan()))
        #expect(
            Self.kinds(machine.handle(.fetched(Self.step(100, next: 200)))) == [
                .plan(1), .fetch(200, prefetched: false),
            ]
        )
        #expect(Self.kinds(machine.handle(.writeFailed(Failure()))) == [.cancel])
        // What was in flight still reports back: nothing follows from it.
        #expect(Self.kinds(machine.handle(.planned(Self.plan()))) == [])
        #expect(Self.kinds(machine.handle(.fetched(Self.step(200, next: 300)))) == [])
        #expect(machine.isDone && machine.firstError is Failure)
    }

    @Test func pagesVerifiedBeforeAFailedFetchAreStillWritten() {
        var machine = ForwardReadMachine(
            first: Self.position(0),
            stored: .start,
            limits: .init(pagesPerBatch: 4, queuedPages: 2, writesInFlight: 1)
        )
        _ = machine.start()
        _ = machine.handle(.fetched(Self.step(0, next: 100)))
        _ = machine.handle(.fetched(Self.step(100, next: 200)))
        #expect(Self.kinds(machine.handle(.fetchFailed(Failure()))) == [])
        #expect(Self.kinds(machine.handle(.planned(Self.plan()))) == [.write])
        #expect(!machine.isDone)
        #expect(Self.kinds(machine.handle(.written)) == [.plan(1)], "the page verified meanwhile")
        _ = machine.handle(.planned(Self.plan()))
        _ = machine.handle(.written)
        #expect(machine.isDone && machine.firstError is Failure && machine.cursor == Self.cursor(200))
    }

    @Test func pagesAreFetchedAheadAtThePredictedOffsetsAndUsedOnlyThere() {
        var machine = ForwardReadMachine(
            first: Self.position(0),
            stored: .start,
            limits: .init(pagesPerBatch: 4, queuedPages: 8, writesInFlight: 2)
        )
        machine.window = 4
        #expect(Self.kinds(machine.start()) == [.fetch(0, prefetched: false)], "no stride known yet")
        // The first page moved the read by 84: the next three pages are predicted 84 apart.
        #expect(
            Self.kinds(machine.handle(.fetched(Self.step(0, next: 84)))) == [
                .plan(1), .fetch(84, prefetched: false), .prefetch(168), .prefetch(252), .prefetch(336),
            ]
        )
        #expect(machine.prefetchesHeld == 3)
        #expect(Self.kinds(machine.handle(.prefetched(offset: 168, page: RunListPage(total: 10_000, items: [])))) == [])
        // Verified where predicted: the page fetched ahead is used, and one more is fetched ahead.
        #expect(
            Self.kinds(machine.handle(.fetched(Self.step(84, next: 168)))) == [
                .fetch(168, prefetched: true), .prefetch(420),
            ]
        )
        #expect(machine.wastedPrefetches == 0)
        // Verified elsewhere (a tie group moved the continuation): the pages ahead are dropped.
        #expect(
            Self.kinds(machine.handle(.fetched(Self.step(168, next: 240)))) == [
                .fetch(240, prefetched: false), .prefetch(312), .prefetch(384), .prefetch(456),
            ]
        )
        #expect(machine.wastedPrefetches == 3 && machine.prefetchesHeld == 3)
        // An answer for a dropped offset is ignored.
        #expect(Self.kinds(machine.handle(.prefetched(offset: 252, page: RunListPage(items: [])))) == [])
        #expect(machine.prefetchesHeld <= machine.window)
    }

    @Test func aReadWaitingForTheStoreFetchesItsNextPageAhead() {
        var machine = ForwardReadMachine(
            first: Self.position(0),
            stored: .start,
            limits: .init(pagesPerBatch: 1, queuedPages: 1, writesInFlight: 1)
        )
        machine.window = 3
        _ = machine.start()
        _ = machine.handle(.fetched(Self.step(0, next: 100)))
        _ = machine.handle(.planned(Self.plan()))
        // One page waits for the store: the next is not verified, but it and the one after it were
        // fetched ahead already, and the window now takes one more.
        #expect(Self.kinds(machine.handle(.fetched(Self.step(100, next: 200)))) == [.prefetch(400)])
        #expect(machine.prefetchesHeld == 3)
        // The store takes the page; the next is verified from the answer fetched ahead, not asked again.
        #expect(Self.kinds(machine.handle(.written)) == [.plan(1)])
        #expect(
            Self.kinds(machine.handle(.prefetched(offset: 200, page: RunListPage(items: [])))) == [
                .fetch(200, prefetched: true)
            ]
        )
    }

    @Test func nothingIsFetchedAheadPastTheEndOfTheList() {
        var machine = ForwardReadMachine(first: Self.position(0), stored: .start)
        machine.window = 8
        _ = machine.start()
        let actions = Self.kinds(machine.handle(.fetched(Self.step(0, next: 84, total: 300))))
        #expect(actions == [.plan(1), .fetch(84, prefetched: false), .prefetch(168), .prefetch(252)])
        _ = machine.handle(.fetched(Self.step(84, next: nil, total: 300)))
        #expect(machine.prefetchesHeld == 0 && machine.wastedPrefetches == 2)
    }

    @Test func aPageAskedForBeforeTheLastOneWasAnsweredKeepsTheLastOnesCopiesOfTheRunsTheyShare() {
        func run(_ id: String, _ status: String) -> RunRecord {
            RunRecord(id: id, status: status, rawJSON: ArraySlice(#"{"id":"\#(id)","status":"\#(status)"}"#.utf8))
        }
        let start = ContinuousClock.now
        var earlier = RunListPage(items: [run("a", "SUCCEEDED"), run("b", "SUCCEEDED")])
        (earlier.requestedAt, earlier.answeredAt) = (start, start + .milliseconds(250))
        var later = RunListPage(items: [run("b", "RUNNING"), run("c", "READY")])
        // Asked for while the earlier page was on its way: its copy of "b" may be the older one.
        (later.requestedAt, later.answeredAt) = (start + .milliseconds(20), start + .milliseconds(270))
        #expect(ForwardRead.ordered(later, after: earlier).map(\.status) == ["SUCCEEDED", "READY"])
        // Asked for after it was answered: its copy is the newer, and stays.
        (later.requestedAt, later.answeredAt) = (start + .milliseconds(260), start + .milliseconds(510))
        #expect(ForwardRead.ordered(later, after: earlier).map(\.status) == ["RUNNING", "READY"])
    }
}
