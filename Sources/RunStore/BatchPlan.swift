/// Everything writing a batch needs that does not need the database: the order to write its runs
/// in, their text columns and their durations.
///
/// Worked out by the caller, off the store's queue, whose thread is the bottleneck of a backfill (it
/// runs SQLite) while another core has room: about a tenth of the instructions per run. A caller
/// that plans the next batch while the store writes the previous one keeps that thread busy.
package struct BatchPlan: Sendable {
    package let batch: RunBatch
    /// Positions in `batch.runs`, in the order to write them (`RunStore.idOrder`).
    let order: [Int]
    let text: BatchText
    /// Per run, `RunRecord.durationSeconds`.
    let durations: [Double?]

    package init(_ batch: RunBatch) {
        self.batch = batch
        order = RunStore.idOrder(batch.runs)
        text = BatchText(batch)
        durations = batch.runs.map(\.durationSeconds)
    }
}
