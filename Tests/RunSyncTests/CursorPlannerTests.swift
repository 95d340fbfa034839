import RunModel
import RunStore
import RunSync
import Testing

@Suite struct CursorPlannerTests {
    /// Watermark 100 s after the epoch of these tests.
    let cursor = TaskCursor(nextOffset: 100, anchorRunId: "A", anchorStartedAt: "1970-01-01T00:01:40.000Z")
    let watermark: Int64 = 100_000

    func items(_ instants: [Int64?]) -> [CursorPlanner.Item] {
        instants.enumerated().map { (id: "r\($0.offset)", instant: $0.element) }
    }

    @Test func aPassStartsBeforeTheCursor() {
        #expect(CursorPlanner.firstReadOffset(for: cursor, overlap: 20) == 80)
        #expect(
            CursorPlanner.firstReadOffset(for: TaskCursor(nextOffset: 5, anchorRunId: "A", anchorStartedAt: nil)) == 0
        )
        #expect(CursorPlanner.firstReadOffset(for: .start) == 0)
    }

    @Test func aPageIsSafeOnlyWhenItsFirstDatedRunIsOlderThanTheWatermark() {
        #expect(CursorPlanner.verdict(start: 80, items: items([99_999, 100_000]), cursor: cursor) == .safe)
        #expect(CursorPlanner.verdict(start: 80, items: items([nil, 50_000]), cursor: cursor) == .safe)
        // A tie with the watermark proves nothing: the group's order is not stable between requests.
        #expect(CursorPlanner.verdict(start: 80, items: items([100_000, 100_001]), cursor: cursor) == .lost)
        #expect(CursorPlanner.verdict(start: 80, items: items([300_000]), cursor: cursor) == .lost)
        #expect(CursorPlanner.verdict(start: 80, items: [], cursor: cursor) == .lost)
        #expect(CursorPlanner.verdict(start: 80, items: items([nil]), cursor: cursor) == .lost)
        // Even a page holding the anchor run is not proof when it starts at the watermark.
        #expect(
            CursorPlanner.verdict(start: 80, items: [("A", 100_000), ("B", 100_002)], cursor: cursor) == .lost
        )
        // Inside a group larger than a page, only the group's own instant can follow.
        #expect(CursorPlanner.verdict(start: 80, items: items([100_000]), cursor: cursor, tieRun: true) == .safe)
        #expect(CursorPlanner.verdict(start: 80, items: items([100_001]), cursor: cursor, tieRun: true) == .lost)
    }

    @Test func offsetZeroAndAFreshTaskAreAlwaysSafe() {
        #expect(CursorPlanner.verdict(start: 0, items: [], cursor: cursor) == .safe)
        #expect(CursorPlanner.verdict(start: 7, items: items([nil]), cursor: .start) == .safe)
    }

    @Test func withoutAReadableWatermarkOnlyTheAnchorItselfProvesThePosition() {
        let undated = TaskCursor(nextOffset: 10, anchorRunId: "A", anchorStartedAt: "garbage")
        #expect(CursorPlanner.verdict(start: 5, items: [("x", 1), ("A", 2)], cursor: undated) == .safe)
        #expect(CursorPlanner.verdict(start: 5, items: [("x", 1)], cursor: undated) == .lost)
    }

    @Test func theNextReadStartsBeforeTheLastStartedAtGroup() {
        let page = items([10, 20, 30, 40, 40, 40])
        let continuation = CursorPlanner.continuation(
            start: 100,
            items: page,
            startedAt: { "t\($0)" },
            previous: cursor,
            overlap: 2
        )
        // The group of 40 begins at index 3 (offset 103): read from 2 before it.
        #expect(continuation.next == 101)
        #expect(continuation.cursor == TaskCursor(nextOffset: 103, anchorRunId: "r5", anchorStartedAt: "t5"))
        #expect(!continuation.tieRun)
    }

    @Test func aGroupThatFillsThePageButForTheOverlapMovesOnByPosition() {
        let continuation = CursorPlanner.continuation(
            start: 100,
            items: items([10, 20, 40, 40, 40, 40]),
            startedAt: { "t\($0)" },
            previous: cursor,
            overlap: 2
        )
        // The group of 40 may go on past the page: no read could hold it whole after an older run.
        #expect(continuation.tieRun && continuation.next == 104)
        #expect(continuation.cursor.nextOffset == 102, "the next pass starts before the group")
    }

    @Test func aPageThatIsOneGroupMovesOnByPositionAndSaysSo() {
        let continuation = CursorPlanner.continuation(
            start: 100,
            items: items([40, 40, 40, 40]),
            startedAt: { _ in "t" },
            previous: cursor,
            overlap: 1
        )
        #expect(continuation.next == 103)
        #expect(continuation.tieRun)
        #expect(continuation.cursor.nextOffset == 100, "where the group was first seen, not inside it")
        let undated = CursorPlanner.continuation(
            start: 0,
            items: items([nil, nil]),
            startedAt: { _ in nil },
            previous: .start,
            overlap: 1
        )
        #expect(undated.next == 1 && undated.tieRun && undated.cursor.anchorStartedAt == nil)
    }

    @Test func aShortPageEndsTheListOnlyWhenItReachesTheTotal() {
        #expect(CursorPlanner.isLast(start: 0, distinctCount: 500, total: 5000) == false)
        #expect(CursorPlanner.isLast(start: 4500, distinctCount: 500, total: 5000))
        #expect(CursorPlanner.isLast(start: 10, distinctCount: 0, total: 5000))
        #expect(CursorPlanner.isLast(start: 0, distinctCount: 20, total: nil) == false)
    }

    @Test func theSearchTellsOlderProbesFromTheRest() {
        #expect(CursorPlanner.isOlder(.some(99_999), than: watermark))
        #expect(CursorPlanner.isOlder(.some(nil), than: watermark), "undated runs sort first")
        #expect(!CursorPlanner.isOlder(.some(100_000), than: watermark))
        #expect(!CursorPlanner.isOlder(.none, than: watermark), "past the end")
    }

    @Test func aShrunkPageKeepsMostOfItselfForProgress() {
        #expect(CursorPlanner.overlap(forLimit: 1000) == CursorPlanner.pageOverlap)
        #expect(CursorPlanner.overlap(forLimit: 8) == 2)
        #expect(CursorPlanner.overlap(forLimit: 1) == 1)
    }
}
