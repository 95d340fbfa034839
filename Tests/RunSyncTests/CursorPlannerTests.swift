import RunModel
import RunStore
import RunSync
import Testing

@Suite struct CursorPlannerTests {
    let anchor = TaskCursor(nextOffset: 100, anchorRunId: "A", anchorStartedAt: "2025-01-01T00:01:40.000Z")

    @Test func readsStartBeforeTheCursorAndOneRunBackBetweenPages() {
        #expect(CursorPlanner.firstReadOffset(for: anchor, overlap: 20) == 80)
        #expect(
            CursorPlanner.firstReadOffset(
                for: TaskCursor(nextOffset: 5, anchorRunId: "A", anchorStartedAt: nil),
                overlap: 20
            ) == 0
        )
        #expect(CursorPlanner.firstReadOffset(for: .start) == 0)
        #expect(CursorPlanner.continuationOffset(start: 80, count: 1000) == 1079)
    }

    @Test func aPageHoldingTheAnchorIsSafeAndSaysWhere() {
        let verdict = CursorPlanner.verdict(
            start: 80,
            ids: ["x", "y", "A", "z"],
            firstStartedAt: "2025-01-01T00:01:00.000Z",
            anchor: anchor
        )
        #expect(verdict == .safe(anchorIndex: 2))
    }

    @Test func aPageStartingBeforeTheAnchorTimeIsSafeWithoutIt() {
        let verdict = CursorPlanner.verdict(
            start: 80,
            ids: ["x", "y"],
            firstStartedAt: "2025-01-01T00:01:39.999Z",
            anchor: anchor
        )
        #expect(verdict == .safe(anchorIndex: nil))
    }

    @Test func aPageStartingAtOrAfterTheAnchorTimeIsLost() {
        #expect(
            CursorPlanner.verdict(start: 80, ids: ["x"], firstStartedAt: "2025-01-01T00:01:40.000Z", anchor: anchor)
                == .lost
        )
        #expect(
            CursorPlanner.verdict(start: 80, ids: ["x"], firstStartedAt: "2025-01-01T00:05:00.000Z", anchor: anchor)
                == .lost
        )
        #expect(CursorPlanner.verdict(start: 80, ids: [], firstStartedAt: nil, anchor: anchor) == .lost)
        #expect(CursorPlanner.verdict(start: 80, ids: ["x"], firstStartedAt: "garbage", anchor: anchor) == .lost)
    }

    @Test func offsetZeroAndAFreshTaskAreAlwaysSafe() {
        #expect(
            CursorPlanner.verdict(start: 0, ids: [], firstStartedAt: nil, anchor: anchor) == .safe(anchorIndex: nil)
        )
        #expect(
            CursorPlanner.verdict(start: 7, ids: ["x"], firstStartedAt: nil, anchor: .start) == .safe(anchorIndex: nil)
        )
    }

    @Test func theCursorFollowsThePageOrKeepsTheAnchorOnAnEmptyList() {
        let next = CursorPlanner.cursor(
            afterPageAt: 80,
            count: 30,
            last: ("B", "2025-01-01T00:02:00.000Z"),
            previous: anchor
        )
        #expect(next == TaskCursor(nextOffset: 110, anchorRunId: "B", anchorStartedAt: "2025-01-01T00:02:00.000Z"))
        let empty = CursorPlanner.cursor(afterPageAt: 0, count: 0, last: nil, previous: anchor)
        #expect(empty == TaskCursor(nextOffset: 0, anchorRunId: "A", anchorStartedAt: anchor.anchorStartedAt))
    }

    @Test func theBinarySearchNarrowsTowardsTheFirstRunNotOlderThanTheAnchor() {
        let anchorTime = "2025-01-01T00:01:40.000Z"
        #expect(
            CursorPlanner.narrow(
                low: 0,
                high: 64,
                mid: 32,
                probeStartedAt: .some("2025-01-01T00:00:10.000Z"),
                anchorStartedAt: anchorTime
            ) == (33, 64)
        )
        #expect(
            CursorPlanner.narrow(
                low: 0,
                high: 64,
                mid: 32,
                probeStartedAt: .some(anchorTime),
                anchorStartedAt: anchorTime
            ) == (0, 32)
        )
        #expect(
            CursorPlanner.narrow(low: 0, high: 64, mid: 32, probeStartedAt: .none, anchorStartedAt: anchorTime) == (
                0, 32
            )
        )
    }
}

@Suite struct TimestampTests {
    @Test func parsesTheAPIFormatAndOffsets() {
        #expect(ISOTimestamp.milliseconds("1970-01-01T00:00:00.000Z") == 0)
        #expect(ISOTimestamp.milliseconds("2019-11-30T07:34:24.202Z") == 1_575_099_264_202)
        #expect(ISOTimestamp.milliseconds("2019-11-30T07:34:24Z") == 1_575_099_264_000)
        #expect(ISOTimestamp.milliseconds("2019-11-30T08:34:24.202+01:00") == 1_575_099_264_202)
        #expect(ISOTimestamp.milliseconds("2019-11-30T07:34:24.2021Z") == 1_575_099_264_202)
        #expect(ISOTimestamp.milliseconds("2019-13-30T07:34:24Z") == nil)
        #expect(ISOTimestamp.milliseconds("yesterday") == nil)
        #expect(Timestamp.isEarlier("2019-11-30T07:34:24.202Z", than: "2019-11-30T08:34:24.203+01:00") == true)
        #expect(Timestamp.isEarlier(nil, than: "2019-11-30T07:34:24Z") == nil)
    }
}
