import RunModel

/// The shape `apify-runs-sync status --json` prints for a source's state: its `kind` and `id`, and
/// for a task also `taskId` and `taskName` (the keys of releases before Actors and the account).
extension SourceSyncStatus: Encodable {
    private enum CodingKeys: String, CodingKey {
        case kind, id, taskId, name, taskName, cursor, lastSuccessAt, lastError, lastErrorAt
        case consecutiveFailures, backfillCompletedAt, runsStored, unfinishedRuns, deletedRuns, removedAt
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let isTask = source.kind == .task
        try container.encode(source.kind.rawValue, forKey: .kind)
        try container.encode(source.id, forKey: .id)
        try container.encodeIfPresent(isTask ? source.id : nil, forKey: .taskId)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(isTask ? name : nil, forKey: .taskName)
        try container.encode(cursor, forKey: .cursor)
        try container.encodeIfPresent(lastSuccessAt, forKey: .lastSuccessAt)
        try container.encodeIfPresent(lastError, forKey: .lastError)
        try container.encodeIfPresent(lastErrorAt, forKey: .lastErrorAt)
        try container.encode(consecutiveFailures, forKey: .consecutiveFailures)
        try container.encodeIfPresent(backfillCompletedAt, forKey: .backfillCompletedAt)
        try container.encode(runsStored, forKey: .runsStored)
        try container.encode(unfinishedRuns, forKey: .unfinishedRuns)
        try container.encode(deletedRuns, forKey: .deletedRuns)
        try container.encodeIfPresent(removedAt, forKey: .removedAt)
    }
}
