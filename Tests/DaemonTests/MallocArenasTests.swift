import Daemon
import Testing

@Suite struct MallocArenasTests {
    @Test func glibcTakesTheArenaLimit() {
        #expect(MallocArenas.apply())
    }
}
