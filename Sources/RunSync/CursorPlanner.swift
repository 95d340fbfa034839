import RunModel
import RunStore

/// The cursor's decisions, as pure functions: where to read, whether a page read there is safe, and
/// where the read goes on. The rules and their proof are in docs/sync.md ("The forward read").
///
/// The stored cursor's `anchorStartedAt` is a **watermark** `T`: every run listed with a `startedAt`
/// strictly before `T` is stored. Its `nextOffset` is where the runs started at `T` began in the
/// last page (runs sharing one `startedAt` come in no documented order, so the group is read again
/// whole), and `anchorRunId` one of them. A page read at `start` is safe when `start` is 0, or when
/// its first dated run is strictly older than `T`: the list is sorted, so every run between that
/// one and the page's end is in the page, and every run before it is older than `T`, hence stored.
package enum CursorPlanner {
    /// Runs re-read before the cursor at the start of a pass: absorbs deletions and late inserts near
    /// the end without a search.
    package static let passOverlap = 20
    /// Runs re-read before the last page's final `startedAt` group by the read that follows it:
    /// deletions of up to this many runs between two reads cost nothing.
    package static let pageOverlap = 16

    /// A run of a page as the planner needs it: its ID and its `startedAt` in Unix milliseconds
    /// (nil when absent or unreadable).
    package typealias Item = (id: String, instant: Int64?)

    /// The offset of the first read of a pass.
    package static func firstReadOffset(for cursor: TaskCursor, overlap: Int = passOverlap) -> Int {
        guard cursor.anchorRunId != nil else { return cursor.nextOffset }
        return max(0, cursor.nextOffset - overlap)
    }

    /// The verdict on a page read at `start`.
    package enum Verdict: Equatable, Sendable {
        /// Nothing unstored can sit below `start`.
        case safe
        /// Offsets shifted past the read (more deletions than the overlap): locate the watermark first.
        case lost
    }

    /// Decides whether a page read at `start` is safe, given the cursor it continues. `tieRun` is set
    /// when the previous page was one single `startedAt` group (more runs sharing one instant than a
    /// page holds): then a page starting inside that group is accepted, without proof (docs/sync.md).
    package static func verdict(start: Int, items: [Item], cursor: TaskCursor, tieRun: Bool = false) -> Verdict {
        if start == 0 || cursor.anchorRunId == nil { return .safe }
        guard let watermark = cursor.anchorStartedAt.flatMap(ISOTimestamp.milliseconds) else {
            // No readable instant to reason with: only the anchor's own identity proves the position.
            return items.contains { $0.id == cursor.anchorRunId } ? .safe : .lost
        }
        guard let first = items.first(where: { $0.instant != nil })?.instant else {
            return !items.isEmpty && tieRun ? .safe : .lost
        }
        if first < watermark || (tieRun && first == watermark) { return .safe }
        return .lost
    }

    /// Where a read goes on after a safe page, and the cursor that page leads to.
    package struct Continuation: Equatable, Sendable {
        /// The offset of the next read.
        package var next: Int
        /// The cursor to store with the page.
        package var cursor: TaskCursor
        /// The page was one `startedAt` group, so the next page cannot be proven safe (`verdict`).
        package var tieRun: Bool
    }

    /// The continuation after a safe page read at `start`: the next read starts `overlap` runs before
    /// the page's last `startedAt` group, and the cursor points at that group.
    package static func continuation(
        start: Int,
        items: [Item],
        startedAt: (Int) -> String?,
        previous: TaskCursor,
        overlap: Int = pageOverlap
    ) -> Continuation {
        guard !items.isEmpty else {
            return Continuation(next: start, cursor: previous, tieRun: false)
        }
        guard let last = items.lastIndex(where: { $0.instant != nil }) else {
            // Nothing dated: only positions and the last run's identity to go on.
            let cursor = TaskCursor(nextOffset: start + items.count, anchorRunId: items.last!.id, anchorStartedAt: nil)
            return Continuation(next: start + max(1, items.count - overlap), cursor: cursor, tieRun: true)
        }
        let instant = items[last].instant
        var group = last
        while group > 0, items[group - 1].instant == instant || items[group - 1].instant == nil { group -= 1 }
        let cursor = TaskCursor(
            nextOffset: start + group,
            anchorRunId: items[last].id,
            anchorStartedAt: startedAt(last)
        )
        guard group > overlap else {
            // The group fills the page but for the overlap: it may be larger than a page, and a read
            // that holds it whole after an older run would have no room for deletions in between. Go
            // on by position (docs/sync.md); the cursor stays where the group is known to begin, so
            // the next pass starts before it.
            let groupStart =
                group > 0 || previous.anchorStartedAt.flatMap(ISOTimestamp.milliseconds) != instant
                ? start + group : min(previous.nextOffset, start)
            return Continuation(
                next: start + max(1, items.count - overlap),
                cursor: TaskCursor(
                    nextOffset: groupStart,
                    anchorRunId: cursor.anchorRunId,
                    anchorStartedAt: cursor.anchorStartedAt
                ),
                tieRun: true
            )
        }
        // Read again from `overlap` runs before the group.
        return Continuation(next: start + group - overlap, cursor: cursor, tieRun: false)
    }

    /// Whether the list ends with this page: it is empty, or it reaches the `total` the API gave.
    /// A page shorter than asked for is not the end by itself (the API may serve fewer items).
    package static func isLast(start: Int, distinctCount: Int, total: Int?) -> Bool {
        distinctCount == 0 || total.map { start + distinctCount >= $0 } == true
    }

    /// Whether a probe of the search for the watermark lies below it: `.none` is past the end (not
    /// below), `.some(nil)` an undated run (undated runs sort first).
    package static func isOlder(_ probe: Int64??, than watermark: Int64) -> Bool {
        guard case .some(let instant) = probe else { return false }
        return instant.map { $0 < watermark } ?? true
    }

    /// The overlap a page of `limit` runs can afford (a shrunk page keeps most of its length for progress).
    package static func overlap(forLimit limit: Int) -> Int { max(1, min(pageOverlap, limit / 4)) }
}
