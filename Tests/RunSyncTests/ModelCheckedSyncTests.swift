import ApifyAPI
import ApifySimulator
import Foundation
import Logging
import RunStore
import RunSync
import SQLiteCore
import TestSupport
import Testing

/// The engine against a reference model, in a world with every imperfection docs/sync.md names.
///
/// Each seed plays a world in-process (no sockets): between passes it creates runs (ties, undated,
/// future-dated, hidden while running, late inserts far before the end), moves statuses (resurrections
/// included), deletes (retention at the head, users in the middle), and switches the API's flaws on
/// and off for the next pass (unstable tie order, capped and short pages, stale duplicates, 404 flaps,
/// retention while paging, an ignored status filter or offset, server errors). After every pass that
/// succeeds, every run listed throughout it must be stored with the status it was listed in, and its
/// change rows must be exactly the model's: the statuses seen at the passes that listed it, none
/// invented. A pass may fail only where the design says it must (an ignored offset over several
/// pages, a tie group larger than a page in an unstable order), and every pass stays within its
/// request budget. Then the world settles (the flaws off) and everything listed must be stored.
///
/// One seed at a time (`.serialized`): the suite keeps to one core, and the timing-sensitive tests
/// that run beside it keep the other. 500 seeds by default; `SYNC_SEED=n` replays one, `SYNC_SEEDS=n` runs seeds 1 through n, and
/// `SYNC_DEBUG=1` prints each pass's requests, the sync state and the stored runs the world no longer has.
@Suite(.serialized) struct ModelCheckedSyncTests {
    static var seeds: [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let seed = environment["SYNC_SEED"].flatMap(UInt64.init) { return [seed] }
        let count = environment["SYNC_SEEDS"].flatMap(UInt64.init) ?? 500
        return Array(1...max(1, count))
    }

    static let pageSize = 50
    static let passes = 12
    static let token = "apify_api_MODELtestSECRET0000000000"

    @Test(arguments: seeds)
    func theStoreFollowsTheModel(seed: UInt64) async throws {
        var world = try await ModelWorld(seed: seed)
        for pass in 0..<Self.passes {
            let flaws = world.imperfect()
            world.mutate(before: flaws)
            try await world.pass(pass, flaws: flaws)
        }
        // The world settles: the API behaves, nothing moves. Within one period of the head check
        // (docs/sync.md, "The count check") everything listed is stored.
        world.transport.withWorld { $0.imperfections = SimulatedImperfections() }
        for pass in Self.passes..<(Self.passes + 10) { try await world.pass(pass, flaws: .none) }
        // Idle: the overlap read and the unfinished-runs query (a page per `pageSize - 12` of those),
        // and the periodic head check (two reads when the oldest runs share one `startedAt`).
        // A group of runs sharing one startedAt larger than a page is read whole, page by page, while
        // it is the list's last (docs/sync.md).
        let unfinished = try await world.store.unfinishedRuns(of: .task(world.task)).count
        let largestGroup = world.transport.withWorld { world in
            Dictionary(grouping: world.tasks[world.tasks.keys.first!]!.runs.compactMap(\.startedAtMs)) { $0 }
                .values.map(\.count).max() ?? 0
        }
        let idle = try await world.pass(Self.passes + 10, flaws: .none)
        let groupPages = largestGroup >= Self.pageSize / 2 ? largestGroup / (Self.pageSize - 12) + 2 : 0
        // The head check reads the head group as a page when its runs share one `startedAt`.
        let idleBound = 4 + unfinished / (Self.pageSize - 12) + groupPages
        // Reading ahead may add a window's worth of unused requests per page it reads.
        #expect(
            idle - world.lastWasted <= idleBound && world.lastWasted <= 4 * idleBound,
            "seed \(seed): an idle pass after the world settled cost \(idle) requests (\(world.lastWasted) ahead)"
        )
        try await world.checkHistory(final: true)
        let violations = try DatabaseInvariants.violations(in: world.path)
        #expect(violations.isEmpty, "seed \(seed): \(violations)")
        try await world.store.close()
    }
}
