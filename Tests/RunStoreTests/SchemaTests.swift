import Testing

@testable import RunStore

/// The SQL the store generates from `RunStatus` matches what released migrations froze.
@Suite struct SchemaTests {
    @Test func theUnfinishedConditionIsTheOneTheIndexesWereBuiltWith() {
        // The text of versions 2 and 5, which built `runs_unfinished` and `runs_unfinished_actor`:
        // queries must repeat it word for word for the planner to use the indexes.
        #expect(
            Schema.unfinishedCondition
                == "status <> 'SUCCEEDED' AND status <> 'FAILED' AND status <> 'TIMED-OUT' AND status <> 'ABORTED' "
                + "AND deleted_at IS NULL"
        )
        #expect(Schema.failureList == "'FAILED', 'TIMED-OUT', 'ABORTED'")
    }
}
