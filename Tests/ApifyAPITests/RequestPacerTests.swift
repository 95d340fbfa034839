import ApifyAPI
import ApifySimulator
import Testing

/// The pacer's promise, checked on the slots it hands out: never more than the limit in any one
/// second (half-open), per path and in all, and no wait while under it.
@Suite struct RequestPacerTests {
    let start = ContinuousClock.now

    @Test func twoRequestsToOnePathGoAtOnceTogether() {
        let pacer = RequestPacer(perResource: 50, total: 200)
        // An idle pass: its overlap read and its unfinished runs, to one list at the same moment.
        #expect(pacer.reserve("/v2/actor-tasks/a/runs", at: start) == start)
        #expect(pacer.reserve("/v2/actor-tasks/a/runs", at: start) == start)
        // A third follows at the rate: two in 40 ms at 50 a second.
        #expect(pacer.reserve("/v2/actor-tasks/a/runs", at: start) == start + .milliseconds(40))
        // Another path is not held back by this one, only by the total.
        #expect(pacer.reserve("/v2/actor-tasks/b/runs", at: start) == start)
        #expect(pacer.reserve("/v2/actor-tasks/c/runs") <= .zero)
    }

    @Test func pagesReadAheadGoInPairsAtTheRate() {
        let pacer = RequestPacer(perResource: 50, total: 200)
        let slots = (0..<120).map { _ in pacer.reserve("/v2/actor-tasks/a/runs", at: start) }
        #expect(slots.enumerated().allSatisfy { $0.element == start + .milliseconds(40 * ($0.offset / 2)) })
        #expect(slots[49] == start + .milliseconds(960) && slots[50] == start + .seconds(1))
    }

    @Test func theTotalBindsAcrossPaths() {
        let pacer = RequestPacer(perResource: 50, total: 4)
        let slots = (0..<6).map { pacer.reserve("/v2/actor-tasks/\($0)/runs", at: start) }
        #expect(slots == [start, start, start, start, start + .seconds(1), start + .seconds(1)])
    }

    @Test func aFractionalRateKeepsToItsWholePartInAnySecond() {
        let pacer = RequestPacer(perResource: 0.5, total: 200)
        let slots = (0..<3).map { _ in pacer.reserve("/p", at: start) }
        #expect(slots == [start, start + .seconds(2), start + .seconds(4)])
        let twoAndAHalf = RequestPacer(perResource: 2.5, total: 200)
        let spread = (0..<5).map { _ in twoAndAHalf.reserve("/p", at: start) }
        #expect(spread == [start, start, start + .seconds(1), start + .seconds(1), start + .seconds(2)])
        let total = RequestPacer(perResource: 50, total: 3.5)
        let all = (0..<5).map { total.reserve("/p\($0)", at: start) }
        #expect(all == [start, start, start, start + .seconds(1), start + .seconds(1)])
    }

    @Test func ratesBeyondAnyConfigurationAreNotPaced() {
        let pacer = RequestPacer(perResource: 1e9, total: .infinity)
        #expect((0..<5000).allSatisfy { _ in pacer.reserve("/p", at: start) == start })
    }

    /// Requests arriving at random moments, to a few paths, some of them waiting behind their own
    /// path while others go first: no half-open second holds more than the limits, and no path more
    /// than a pair in the time a pair takes at its rate.
    @Test(arguments: 0..<20) func noSecondHoldsMoreThanTheLimits(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        // Whole rates, and fractional ones: a second holds no more than their whole parts.
        let (perResource, total) = seed.isMultiple(of: 2) ? (5.0, 8.0) : (5.5, 8.7)
        let pacer = RequestPacer(perResource: perResource, total: total)
        var now = start
        var slots: [(path: Int, slot: ContinuousClock.Instant)] = []
        for _ in 0..<400 {
            now += .milliseconds(Int64(random.next() % 120))
            let path = Int(random.next() % 3)
            let slot = pacer.reserve("/p\(path)", at: now)
            #expect(slot >= now)
            slots.append((path, slot))
        }
        func most(in span: Duration, _ times: [ContinuousClock.Instant]) -> Int {
            let sorted = times.sorted()
            var most = 0
            var first = 0
            for last in sorted.indices {
                while sorted[last] - sorted[first] >= span { first += 1 }
                most = max(most, last - first + 1)
            }
            return most
        }
        #expect(most(in: .seconds(1), slots.map(\.slot)) <= 8)
        for path in 0..<3 {
            let times = slots.filter { $0.path == path }.map(\.slot)
            #expect(most(in: .seconds(1), times) <= 5)
            #expect(most(in: .seconds(2 / perResource), times) <= 2)
        }
        // The limits are reached, not merely kept: requests came faster than 8 a second.
        #expect(most(in: .seconds(1), slots.map(\.slot)) == 8)
    }
}
