/// Everything writing a batch needs that does not need the database: the order to write its runs
/// in, their text columns and their durations.
///
/// Worked out by the caller, off the store's thread, which is the bottleneck of a backfill (it
/// runs SQLite) while another core has room: about a tenth of the instructions per run. A caller
/// that plans the next batch while the store writes the previous one keeps that thread busy.
package struct BatchPlan: Sendable {
    package let batch: RunBatch
    /// Positions in `batch.runs`, in the order to write them (`RunStore.idOrder`). A run listed more
    /// than once (the API can serve the same run twice, in two statuses) is written once, as its last
    /// occurrence has it: one change row per run per batch, never a flip back and forth.
    let order: [Int]
    let text: BatchText
    /// Per run, `RunRecord.durationSeconds`.
    let durations: [Double?]

    package init(_ batch: RunBatch) {
        self.batch = batch
        let sorted = RunStore.idOrder(batch.runs)
        // Equal IDs are adjacent in `sorted`, in list order: keep the last of each.
        order = sorted.indices.compactMap { position in
            let next = position + 1
            guard next < sorted.count, batch.runs[sorted[next]].id == batch.runs[sorted[position]].id else {
                return sorted[position]
            }
            return nil
        }
        text = BatchText(batch)
        durations = batch.runs.map(\.durationSeconds)
    }
}
