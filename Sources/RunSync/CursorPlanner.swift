import RunStore

/// The cursor's decisions, as pure functions: where to read, and whether a page read there is safe.
///
/// A read at offset `start` is *safe* when no run we have not stored can sit below `start`. The
/// list is sorted by `startedAt` and every run older than the anchor was stored before it, so a
/// read is safe when it starts at 0, when it contains the anchor, or when its first run is strictly
/// older than the anchor. Anything else means offsets shifted past our overlap (more deletions than
/// the overlap, or the anchor itself deleted with the read landing after it): the position must be
/// located again before anything is skipped. See docs/sync.md.
package enum CursorPlanner {
    /// Runs re-read before the cursor at the start of a pass: catches shifts from deletions and runs
    /// that land a few places before the end.
    package static let passOverlap = 20

    /// The offset of the first read of a pass.
    package static func firstReadOffset(for cursor: TaskCursor, overlap: Int = passOverlap) -> Int {
        guard cursor.anchorRunId != nil else { return cursor.nextOffset }
        return max(0, cursor.nextOffset - overlap)
    }

    /// The offset of the read that follows a full page: one run back, so that the page's last run
    /// (the new anchor) comes first again and proves that nothing shifted in between.
    package static func continuationOffset(start: Int, count: Int) -> Int {
        max(0, start + count - 1)
    }

    /// The verdict on a page read at `start`.
    package enum Verdict: Equatable, Sendable {
        /// Nothing unstored can be below `start`; `anchorIndex` is where the anchor was found, if it was.
        case safe(anchorIndex: Int?)
        /// Offsets shifted past the read: locate the anchor's position by `startedAt` first.
        case lost
    }

    /// Decides whether a page read at `start` is safe, given the anchor it should contain.
    package static func verdict(
        start: Int,
        ids: some Collection<String>,
        firstStartedAt: String?,
        anchor: TaskCursor
    ) -> Verdict {
        guard let anchorId = anchor.anchorRunId else { return .safe(anchorIndex: nil) }
        if let index = ids.firstIndex(of: anchorId) {
            return .safe(anchorIndex: ids.distance(from: ids.startIndex, to: index))
        }
        if start == 0 { return .safe(anchorIndex: nil) }
        if !ids.isEmpty, Timestamp.isEarlier(firstStartedAt, than: anchor.anchorStartedAt) == true {
            return .safe(anchorIndex: nil)
        }
        return .lost
    }

    /// The cursor after storing a safe page read at `start`.
    package static func cursor(
        afterPageAt start: Int,
        count: Int,
        last: (id: String, startedAt: String?)?,
        previous: TaskCursor
    )
        -> TaskCursor
    {
        guard let last else {
            // An empty safe page only happens at offset 0: the list is empty. Keep the anchor's
            // identity, which still marks the newest run we know of.
            return TaskCursor(
                nextOffset: start,
                anchorRunId: previous.anchorRunId,
                anchorStartedAt: previous.anchorStartedAt
            )
        }
        return TaskCursor(nextOffset: start + count, anchorRunId: last.id, anchorStartedAt: last.startedAt)
    }

    /// One step of the binary search for the first offset whose run is not older than the anchor.
    ///
    /// `probe` is the run at `mid` (nil past the end). Returns the narrowed half-open range.
    package static func narrow(
        low: Int,
        high: Int,
        mid: Int,
        probeStartedAt: String??,
        anchorStartedAt: String
    )
        -> (low: Int, high: Int)
    {
        switch probeStartedAt {
        case .some(let startedAt) where Timestamp.isEarlier(startedAt, than: anchorStartedAt) == true:
            return (mid + 1, high)
        default:
            return (low, mid)
        }
    }
}
