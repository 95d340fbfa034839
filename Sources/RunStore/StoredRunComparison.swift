/// A run the batch lists again, against its stored row (`RunStore.compareWithStored`).
enum StoredRunComparison {
    /// The row changed after this read was asked for (`RunBatch.readSince`): which copy is newer is
    /// unknown, so the stored one stays.
    case changedSinceRead
    /// Byte-identical, live, under the same task and Actor: nothing to write.
    case identical
    /// To be rewritten: its status before, the task it belongs to now, and whether it was marked
    /// deleted (it is live again).
    case differs(status: String?, taskId: String, revived: Bool)
}
