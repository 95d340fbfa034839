import ApifySimulator
import Foundation
import SQLiteCore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real binary killed at random moments, stopped under load, and given bad database files.
@Suite(.serialized) struct CrashTests: SyncedFromSimulator {
    static let token = "apify_api_CRASHtestSECRET0987654321"
    let directory: TemporaryDirectory
    let simulator: ApifySimulator
    let task: String

    init() async throws {
        directory = try TemporaryDirectory()
        simulator = try await ApifySimulator.start(token: Self.token, seed: 42)
        task = simulator.withWorld { $0.addTask() }
    }

    var database: String { directory.path("runs.db") }
    var listedRuns: [SimulatedRun] { simulator.withWorld { $0.tasks[task]!.runs } }
    var databasePath: String { database }
    var checksRunFields: Bool { false }
    func flush() {}

    /// `requestsPerSecond` paces the list (pages read ahead are requests in flight at once).
    private func configFile(requestsPerSecond: Int = 50, extra: String = "") throws -> String {
        try directory.writeConfig(
            apiBaseURL: simulator.baseURL,
            database: database,
            tasks: [task],
            token: Self.token,
            more: #","pollIntervalSeconds":1,"maxRetries":2,"maxRequestsPerSecond":\#(requestsPerSecond)\#(extra)"#
        )
    }

    private func expectSound(_ context: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let violations = try DatabaseInvariants.violations(in: database)
        #expect(violations.isEmpty, "\(context): \(violations)", sourceLocation: sourceLocation)
    }

    @Test func sigkillAtRandomMomentsLosesNothing() async throws {
        let trials = Int(ProcessInfo.processInfo.environment["CRASH_TRIALS"] ?? "") ?? 20
        let seed = UInt64(ProcessInfo.processInfo.environment["CRASH_SEED"] ?? "") ?? 7
        var random = SplitMix64(seed: seed)
        let config = try configFile()
        simulator.withWorld { world in
            world.createRuns(task: task, count: 12_000)
            world.createRuns(task: task, count: 20, status: "RUNNING")
            world.responseDelay = .milliseconds(10)
        }
        for trial in 0..<trials {
            simulator.withWorld { world in
                world.createRuns(task: task, count: Int(random.next() % 1500))
                for run in world.tasks[task]!.runs.suffix(40) where !run.isFinal && random.next() % 2 == 0 {
                    world.setStatus(run: run.id, to: ["SUCCEEDED", "FAILED", "TIMED-OUT"][Int(random.next() % 3)])
                }
                if random.next() % 3 == 0 { world.deleteOldest(task: task, count: Int(random.next() % 500)) }
                world.createRuns(task: task, count: 2, status: "RUNNING")
            }
            let daemon = try ProgramRun(["run", "--config", config])
            try await Task.sleep(for: .milliseconds(Int64(random.next() % 1500)))
            daemon.signal(SIGKILL)
            await daemon.wait()
            try expectSound("after SIGKILL \(trial) (seed \(seed))")
        }
        simulator.withWorld { $0.responseDelay = .zero }
        let final = try await ProgramRun.run(["once", "--config", config])
        #expect(final.status == 0, "\(final.stderr)")
        try expectSound("after the final pass (seed \(seed))")
        try await expectMatchesTruth()
    }

    @Test func everyFailureReachesACommandAtLeastOnceThroughSIGKILLs() async throws {
        let trials = Int(ProcessInfo.processInfo.environment["CRASH_TRIALS"] ?? "") ?? 20
        let seed = UInt64(ProcessInfo.processInfo.environment["CRASH_SEED"] ?? "") ?? 11
        var random = SplitMix64(seed: seed)
        let received = directory.path("received")
        // The command takes a moment, so that kills land before, during and after deliveries. Only
        // failures: the simulated runs in progress started long ago, and are also `run_stuck`.
        let sink =
            #"{"name":"recorder","type":"exec","events":["run_failed"],"command":["/bin/sh","-c","#
            + #""sleep 0.05; echo \"$APIFY_EVENT_ID $APIFY_RUN_ID\" >> \"$0\"","\#(received)"]}"#
        let config = try configFile(extra: #","alerts":{"sinks":[\#(sink)]}"#)
        simulator.withWorld { world in
            world.createRuns(task: task, count: 2000)
            world.createRuns(task: task, count: 30, status: "RUNNING")
        }
        // The backfill first: failures after it are news, each an event.
        #expect(try await ProgramRun.run(["once", "--config", config]).status == 0)
        var failed = Set<String>()
        for trial in 0..<trials {
            simulator.withWorld { world in
                for run in world.tasks[task]!.runs where !run.isFinal && random.next() % 3 == 0 {
                    world.setStatus(run: run.id, to: "FAILED")
                    failed.insert(run.id)
                }
                world.createRuns(task: task, count: 8, status: "RUNNING")
            }
            let daemon = try ProgramRun(["run", "--config", config])
            try await Task.sleep(for: .milliseconds(Int64(200 + random.next() % 2300)))
            daemon.signal(SIGKILL)
            await daemon.wait()
            try expectSound("after SIGKILL \(trial) (seed \(seed))")
        }
        // What was not delivered before the last kill goes now.
        let final = try await ProgramRun.run(["once", "--config", config])
        #expect(final.status == 0 || final.status == 1, "\(final.stderr)")
        let db = try Database(path: database, readOnly: true)
        let events = try db.rows("SELECT id, run_id FROM events WHERE event = 'run_failed' ORDER BY id")
        let undelivered = try db.scalar(
            "SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id AND d.sink = 'recorder' AND d.state = 'delivered') AND e.event = 'run_failed'"
        )
        try db.close(optimize: false)
        #expect(Set(events.compactMap { $0[1].text }) == failed, "one event per failure (seed \(seed))")
        #expect(undelivered == 0)
        let lines = ((try? String(contentsOfFile: received, encoding: .utf8)) ?? "").split(separator: "\n")
        var times: [String: Int] = [:]
        for line in lines { times[String(line), default: 0] += 1 }
        for event in events {
            let line = "\(event[0].integer ?? -1) \(event[1].text ?? "")"
            #expect((1...2).contains(times[line] ?? 0), "\(line) received \(times[line] ?? 0) times (seed \(seed))")
        }
        // A second copy only when a kill fell between a delivery and its record: at most one per kill.
        let duplicates = times.values.reduce(0) { $0 + $1 - 1 }
        #expect(duplicates <= trials, "\(duplicates) duplicates in \(trials) kills")
        #expect(times.count == events.count, "nothing received that is not an event")
    }

    @Test func sigtermUnderLoadStopsCleanlyAndTheNextPassResumes() async throws {
        // Five pages a second at most: the backfill lasts about eight seconds, the signal lands in it.
        let config = try configFile(requestsPerSecond: 5)
        simulator.withWorld { world in
            world.createRuns(task: task, count: 40_000)
            world.responseDelay = .milliseconds(150)
        }
        let daemon = try ProgramRun(["run", "--config", config])
        let deadline = ContinuousClock.now + .seconds(30)
        while (try? storedRuns()) ?? 0 < 3000, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        daemon.signal(SIGTERM)
        // Killed, with a status that is not 0, if it has not stopped within the unit's stop timeout.
        let status = await daemon.wait(timeout: .seconds(25))
        #expect(status == 0, "\(daemon.stderr)")
        #expect(daemon.stderr.contains("event=daemon_stopping"))
        try expectSound("after SIGTERM")
        let stored = try storedRuns()
        #expect(stored >= 3000 && stored < 40_000)

        simulator.withWorld { world in
            world.responseDelay = .zero
            world.recordsRequests = true
            world.requestLog = []
        }
        let resumed = try await ProgramRun.run(["once", "--config", config])
        #expect(resumed.status == 0)
        let listReads = simulator.withWorld {
            $0.requestLog.filter { $0.contains("/runs?") && !$0.contains("status=") && !$0.contains("desc=1") }
        }
        // Nothing already committed is downloaded again: every forward read starts at most one page
        // before the runs stored (how many reads there are depends on the read-ahead window, which
        // follows the machine's load).
        let offsets = listReads.compactMap { read in
            read.split(separator: "&").first { $0.hasPrefix("offset=") || $0.contains("?offset=") }
                .flatMap { Int($0.split(separator: "=").last ?? "") }
        }
        #expect(offsets.count == listReads.count && !offsets.isEmpty, "\(listReads.prefix(3))")
        let heads = listReads.filter { $0.contains("offset=0") && !$0.contains("limit=1000") }
        #expect(heads.count <= 1, "one look at the head of the list (retention), not a page: \(heads)")
        let pages = zip(listReads, offsets).filter { $0.0.contains("limit=1000") }.map(\.1)
        #expect(pages.allSatisfy { $0 >= stored - 1000 }, "\(pages.sorted()) after \(stored) stored")
        try await expectMatchesTruth()
    }

    @Test func aCorruptDatabaseIsAClearErrorAndIsNotTouched() async throws {
        let config = try configFile()
        simulator.withWorld { $0.createRuns(task: task, count: 2000) }
        #expect(try await ProgramRun.run(["once", "--config", config]).status == 0)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: database))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 300))
        try handle.close()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: database))
        let result = try await ProgramRun.run(["once", "--config", config])
        #expect(result.status != 0)
        #expect(result.stderr.contains("malformed") || result.stderr.contains("not a database"), "\(result.stderr)")
        #expect(result.stderr.contains(database))
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == bytes)
    }

    @Test func aReadOnlyDatabaseIsAClearErrorAndIsNotTouched() async throws {
        let config = try configFile()
        simulator.withWorld { $0.createRuns(task: task, count: 100) }
        #expect(try await ProgramRun.run(["once", "--config", config]).status == 0)
        // Run as an unprivileged user (root ignores file modes): the directory is open, the file is not.
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.url.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: config)
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: database + suffix) {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: database + suffix)
        }
        try? FileManager.default.removeItem(atPath: database + ".lock")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: database))
        let result = try await ProgramRun.run(
            ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ProgramRun.executable.path]
                + ["once", "--config", config],
            viaExecutable: URL(fileURLWithPath: "/usr/bin/setpriv")
        )
        #expect(result.status != 0)
        #expect(result.stderr.contains("read-only"), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == bytes)
    }

    private func storedRuns() throws -> Int {
        let db = try Database(path: database, readOnly: true)
        defer { try? db.close(optimize: false) }
        return Int(try db.scalar("SELECT count(*) FROM runs").integer ?? 0)
    }
}
