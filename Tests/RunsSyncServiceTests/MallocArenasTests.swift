import RunsSyncService
import Testing

@Suite struct MallocArenasTests {
    @Test func glibcTakesTheArenaLimit() {
        #expect(MallocArenas.apply())
    }
}
