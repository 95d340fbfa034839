import RunModel
import SQLiteCore

/// The text columns of a batch's runs, copied once into one buffer that SQLite reads in place.
///
/// Binding a Swift `String` makes SQLite allocate, copy and later free the text, for every parameter
/// of every row (`SQLITE_TRANSIENT`). A batch instead copies its runs' text into one buffer and binds
/// slices of it that SQLite reads where they are (`SQLITE_STATIC`, `Statement.bind(utf8InPlace:at:)`),
/// valid for as long as `withColumns` runs.
struct BatchText {
    /// The text columns of a run, in the order they are copied.
    enum Column: Int, CaseIterable {
        case id, status, actorTaskId, actId, userId, startedAt, finishedAt, buildId, buildNumber, origin
        case defaultKeyValueStoreId, defaultDatasetId, defaultRequestQueueId
    }

    /// Where each batch-wide text starts in `bytes`: the listed task's ID, then the observation time.
    private enum Shared: Int { case taskId, observedAt }

    private var bytes: [UInt8] = []
    /// Per run and column (after the shared texts): the start in `bytes` and the length, -1 for NULL.
    private var spans: [(start: Int, count: Int)] = []

    init(_ batch: RunBatch) {
        bytes.reserveCapacity(64 + batch.runs.count * 320)
        spans.reserveCapacity(2 + batch.runs.count * Column.allCases.count)
        append(batch.listedTaskId)
        append(batch.observedAt)
        for run in batch.runs {
            // In `Column` order.
            append(run.id)
            append(run.status)
            append(run.actorTaskId)
            append(run.actId)
            append(run.userId)
            append(run.startedAt)
            append(run.finishedAt)
            append(run.buildId)
            append(run.buildNumber)
            append(run.origin)
            append(run.defaultKeyValueStoreId)
            append(run.defaultDatasetId)
            append(run.defaultRequestQueueId)
        }
    }

    private mutating func append(_ text: String?) {
        guard var text else {
            spans.append((bytes.count, -1))
            return
        }
        let start = bytes.count
        text.withUTF8 { bytes.append(contentsOf: $0) }
        spans.append((start, bytes.count - start))
    }

    /// Calls `body` with the columns, whose bytes stay valid and unchanged until it returns.
    func withColumns<T>(_ body: (Columns) throws -> T) rethrows -> T {
        try bytes.withUnsafeBytes { try body(Columns(base: $0, spans: spans)) }
    }

    /// Binds the texts of a batch to statements, without copying them.
    struct Columns {
        fileprivate let base: UnsafeRawBufferPointer
        fileprivate let spans: [(start: Int, count: Int)]

        /// Binds column `column` of the run at `run` (its position in the batch), or NULL.
        func bind(_ column: Column, of run: Int, to statement: Statement, at index: Int32) throws {
            try bind(span: 2 + run * Column.allCases.count + column.rawValue, to: statement, at: index)
        }

        /// Binds the ID of the task whose list the batch came from (empty for other sources).
        func bindTaskId(to statement: Statement, at index: Int32) throws {
            try bind(span: Shared.taskId.rawValue, to: statement, at: index)
        }

        /// Binds the batch's observation time.
        func bindObservedAt(to statement: Statement, at index: Int32) throws {
            try bind(span: Shared.observedAt.rawValue, to: statement, at: index)
        }

        private func bind(span index: Int, to statement: Statement, at parameter: Int32) throws {
            let span = spans[index]
            guard span.count >= 0 else {
                try statement.bind(.null, at: parameter)
                return
            }
            try statement.bind(
                utf8InPlace: UnsafeRawBufferPointer(rebasing: base[span.start..<span.start + span.count]),
                at: parameter
            )
        }
    }
}
