import RunModel
import Testing

@testable import Daemon

@Suite struct DaemonProgressTests {
    @Test func theLineCountsSourcesWhoseLastPassFailedUntilTheirLoopEnds() {
        let progress = DaemonProgress()
        #expect(
            progress.record(source: .task("a"), failed: false, of: 3)
                == "3 source(s), 1 pass(es) since start, all sources syncing"
        )
        #expect(
            progress.record(source: .task("a"), failed: true, of: 3).hasSuffix(
                "2 pass(es) since start, 1 source(s) failing"
            )
        )
        #expect(progress.record(source: .actor("b"), failed: true, of: 3).hasSuffix("2 source(s) failing"))
        #expect(progress.record(source: .task("a"), failed: true, of: 3).hasSuffix("2 source(s) failing"))
        #expect(progress.record(source: .task("a"), failed: false, of: 3).hasSuffix("1 source(s) failing"))
        // The Actor's loop ends (a reload removed it): it no longer counts as failing.
        progress.forget(.actor("b"))
        #expect(
            progress.record(source: .account, failed: false, of: 2)
                == "2 source(s), 6 pass(es) since start, all sources syncing"
        )
    }
}
