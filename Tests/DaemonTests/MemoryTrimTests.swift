import Foundation
import Testing

@testable import Daemon

@Suite struct MemoryTrimTests {
    @Test func onlyTheExecutablesReadOnlyMappingsAreAdvised() {
        let maps = """
            55d0a0000000-55d0a1000000 r--p 00000000 08:01 42   /usr/bin/apify-runs-sync
            55d0a1000000-55d0a3000000 r-xp 01000000 08:01 42   /usr/bin/apify-runs-sync
            55d0a3000000-55d0a3200000 rw-p 03000000 08:01 42   /usr/bin/apify-runs-sync
            55d0a3200000-55d0a3300000 r--p 03200000 08:01 42   /usr/bin/apify-runs-sync-bench
            7f0000000000-7f0000100000 r-xp 00000000 08:01 77   /usr/lib/x86_64-linux-gnu/libsqlite3.so.0.8.6
            7f0000200000-7f0000300000 rw-p 00000000 00:00 0
            7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0    [stack]
            """
        let ranges = MemoryTrim.readOnlyRanges(in: maps, of: "/usr/bin/apify-runs-sync")
        #expect(ranges == [0x55d0_a000_0000..<0x55d0_a100_0000, 0x55d0_a100_0000..<0x55d0_a300_0000])
    }

    @Test func theRunningExecutableIsPagedOutAndKeepsWorking() throws {
        let advised = MemoryTrim.pageOutExecutable()
        // This test's own binary has read-only code and data; the kernel knows the advice (Linux 5.4).
        #expect(advised > 1024 * 1024)
        // Code that ran before runs again, from pages read back in.
        let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
        #expect(maps.contains("r-xp"))
        #expect((MemoryTrim.residentBytes() ?? 0) > 0)
    }

    @Test func freedHeapIsGivenBack() throws {
        // 64 MiB touched and freed in pieces below the mmap threshold stay in the heap until trimmed.
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<2048 {
            let block = try #require(malloc(32 * 1024))
            memset(block, 1, 32 * 1024)
            blocks.append(block)
        }
        // Every other block stays, so the freed half is in the middle of the heap, not at its top.
        for (index, block) in blocks.enumerated() where index % 2 == 0 { free(block) }
        let before = try #require(MemoryTrim.residentBytes())
        MemoryTrim.releaseFreeHeap()
        let after = try #require(MemoryTrim.residentBytes())
        for (index, block) in blocks.enumerated() where index % 2 == 1 { free(block) }
        #expect(before - after > 16 * 1024 * 1024, "resident \(before) before the trim, \(after) after")
    }
}
