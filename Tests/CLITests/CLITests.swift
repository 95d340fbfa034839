import ApifySimulator
import Foundation
import SQLiteCore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The real binary against the simulator: exit codes, messages, the daemon's life cycle.
@Suite(.serialized) struct CLITests {
    static let token = "apify_api_CLIsecretTOKEN1234567890abc"
    let directory: TemporaryDirectory
    let simulator: ApifySimulator
    let tasks: [String]

    init() async throws {
        directory = try TemporaryDirectory()
        simulator = try await ApifySimulator.start(token: Self.token)
        tasks = simulator.withWorld { world in
            let first = world.addTask(username: "jane", name: "news")
            world.createRuns(task: first, count: 1200)
            world.createRuns(task: first, count: 2, status: "FAILED")
            let second = world.addTask()
            world.createRuns(task: second, count: 10, status: "RUNNING")
            return ["jane~news", second]
        }
    }

    var database: String { directory.path("runs.db") }

    private func configFile(
        tasks: [String]? = nil,
        token: String? = CLITests.token,
        extra: String = "",
        database: String? = nil
    ) throws -> String {
        try directory.writeConfig(
            apiBaseURL: simulator.baseURL,
            database: database ?? self.database,
            tasks: tasks ?? self.tasks,
            token: token,
            more: #","maxRetries":1\#(extra)"#
        )
    }

    private func count(_ sql: String) throws -> Int64 {
        let db = try Database(path: database, readOnly: true)
        defer { try? db.close(optimize: false) }
        return try db.scalar(sql).integer ?? -1
    }

    @Test func testAlertGoesThroughEverySinkAndSaysHowEachWent() async throws {
        let good = try await ScriptedHTTPServer.start { _ in 204 }
        let bad = try await ScriptedHTTPServer.start { _ in 500 }
        let received = directory.path("received.json")
        let headers = directory.path("headers")
        try Data("# for the hook\nAuthorization: Bearer hook-secret\n".utf8).write(to: URL(fileURLWithPath: headers))
        let sinks = [
            #"{"name":"mail","type":"exec","command":["/bin/sh","-c","cat > \"$0\"","\#(received)"]}"#,
            #"{"name":"slack","type":"webhook","url":"\#(good.url)","format":"slack","headersFile":"\#(headers)"}"#,
            #"{"name":"broken","type":"webhook","url":"\#(bad.url)","events":["run_timed_out"]}"#,
        ]
        let config = try configFile(extra: #","alerts":{"sinks":[\#(sinks.joined(separator: ","))]}"#)
        let result = try await ProgramRun.run(["test-alert", "--config", config])
        #expect(result.status == 1, "one sink failed")
        #expect(
            result.stdout == """
                journal: delivered
                mail: delivered
                slack: delivered
                broken: FAILED: the webhook answered HTTP 500

                """
        )
        #expect(result.stderr.contains("event=run_failed") && result.stderr.contains("run_id=TEST-ALERT"))
        let payload = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: received))) as? [String: Any]
        )
        #expect(payload["event"] as? String == "run_failed" && payload["runId"] as? String == "TEST-ALERT")
        #expect(payload["taskId"] as? String == "jane~news")
        let request = try #require(good.requests.first)
        #expect(request.method == "POST" && request.headers.contains { $0 == ("Authorization", "Bearer hook-secret") })
        #expect(request.body.hasPrefix(#"{"text":"Run failed: task jane~news run TEST-ALERT"#))
        #expect(bad.requests.count == 1, "no retries")
        for output in [result.stdout, result.stderr] {
            #expect(!output.contains(good.url) && !output.contains(bad.url) && !output.contains("hook-secret"))
            #expect(!output.contains(Self.token))
        }
        #expect(!FileManager.default.fileExists(atPath: database), "nothing stored")
        try await good.stop()
        try await bad.stop()
    }

    @Test func healthProblemsOpenAndCloseOnceEachWithChecksEverySecond() async throws {
        let received = directory.path("events")
        let recorder =
            #"{"name":"rec","type":"exec","command":["/bin/sh","-c","cat >> \"$0\"; echo >> \"$0\"","\#(received)"]}"#
        let config = directory.path("health.json")
        let json =
            #"{"apiBaseUrl":"\#(simulator.baseURL)","database":"\#(database)","token":"\#(Self.token)","#
            + #""tasks":[{"id":"jane~news","maxRunSeconds":2,"expectEverySeconds":8,"minItems":5}],"#
            + #""pollIntervalSeconds":1,"alerts":{"healthCheckIntervalSeconds":1,"sinks":[\#(recorder)]}}"#
        try Data(json.utf8).write(to: URL(fileURLWithPath: config))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: config)
        let realNow = { Int64(Date().timeIntervalSince1970 * 1000) }
        let slow = simulator.withWorld { world in
            world.nowMs = realNow()
            return world.createRuns(task: world.taskIdByName["jane~news"]!, count: 1, status: "RUNNING")[0]
        }
        let newsId = simulator.withWorld { $0.taskIdByName["jane~news"]! }
        func events() -> [String] {
            ((try? String(contentsOfFile: received, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                guard let object = try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any],
                    let event = object["event"] as? String
                else { return nil }
                return "\(event) \(object["runId"] as? String ?? object["sourceId"] as? String ?? "")"
            }
        }
        let daemon = try ProgramRun(["run", "--config", config])
        // Past 2 s the run is stuck; past 8 s without a new run the task is silent.
        try await waitUntil(timeout: .seconds(30)) {
            Set(events()).isSuperset(of: ["run_stuck \(slow)", "task_silent \(newsId)"])
        }
        // The run finishes with too few items, and a new run starts.
        simulator.withWorld { world in
            world.nowMs = realNow()
            world.setStatus(run: slow, to: "SUCCEEDED")
            world.setItemCount(run: slow, to: 2)
            world.createRuns(task: newsId, count: 1)
        }
        let all: Set = [
            "run_stuck \(slow)", "task_silent \(newsId)", "run_stuck_recovered \(slow)",
            "task_silent_recovered \(newsId)", "empty_result \(slow)",
        ]
        try await waitUntil(timeout: .seconds(30)) { Set(events()).isSuperset(of: all) }
        // A few more checks change nothing: each problem opened once and closed once. Another run
        // starts first, so that the task cannot fall silent again before the daemon stops, however
        // late the machine let the wait above see the recovery.
        simulator.withWorld { world in
            world.nowMs = realNow()
            world.createRuns(task: newsId, count: 1)
        }
        try await Task.sleep(for: .seconds(3))
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(25)) == 0, "\(daemon.stderr)")
        let seen = events().filter { !$0.hasPrefix("run_succeeded_after_failure") }
        #expect(seen.sorted() == all.sorted(), "\(seen)")
        #expect(try count("SELECT count(*) FROM health_problems WHERE closed_at IS NULL") == 0)
        #expect(try count("SELECT dataset_item_count FROM runs WHERE id = '\(slow)'") == 2)
    }

    @Test func onceSyncsEveryTaskAndExitsZero() async throws {
        let config = try configFile()
        let result = try await ProgramRun.run(["once", "--config", config])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try count("SELECT count(*) FROM runs") == 1212)
        #expect(result.stderr.contains("event=backfill_summary"))
        #expect(!result.stderr.contains(Self.token) && !result.stdout.contains(Self.token))

        let status = try await ProgramRun.run(["status", "--config", config, "--json"])
        let entries = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]]
        let first = entries?.first?["state"] as? [String: Any]
        #expect(first?["runsStored"] as? Int == 1202)
        #expect(entries?.last?["state"].flatMap { $0 as? [String: Any] }?["unfinishedRuns"] as? Int == 10)
        #expect(!status.stdout.contains(Self.token))
        // The simulated runs in progress started a year ago, far past their own timeout (3,600 s):
        // the health check of `once` found them stuck, so `status` exits 1 and says why.
        #expect(status.status == 1)
        let problems = entries?.flatMap { $0["problems"] as? [[String: Any]] ?? [] } ?? []
        #expect(problems.count == 10 && problems.allSatisfy { $0["problem"] as? String == "run_stuck" })
        #expect(try count("SELECT count(*) FROM events WHERE event = 'run_stuck'") == 10)

        // Read by the database alone, as a monitoring check would.
        let byFile = try await ProgramRun.run(["status", "--database", database])
        #expect(byFile.status == 1)
        #expect(byFile.stdout.contains("health: 10 open problem(s)"))
        #expect(byFile.stdout.components(separatedBy: "run_stuck run ").count == 11, "\(byFile.stdout)")
    }

    @Test func theTokenIsNeverStoredAndTheConfigurationIsNeverWritten() async throws {
        let config = try configFile()
        let tokenFile = directory.path("apify-token")
        try Data(Self.token.utf8).write(to: URL(fileURLWithPath: tokenFile))
        let credentials = directory.path("credentials")
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try Data(Self.token.utf8).write(to: URL(fileURLWithPath: credentials + "/apify-token"))
        func modificationDates() throws -> [Date?] {
            try [config, tokenFile, credentials + "/apify-token"].map {
                try FileManager.default.attributesOfItem(atPath: $0)[.modificationDate] as? Date
            }
        }
        let before = try modificationDates()
        let debug = try await ProgramRun.run(["once", "--config", config, "--log-level", "trace"])
        #expect(debug.status == 0)
        #expect(!debug.stderr.contains(Self.token) && !debug.stdout.contains(Self.token))
        #expect(try modificationDates() == before, "a file holding the token was written")
        let viaCredential = try await ProgramRun.run(
            ["once", "--config", try configFile(token: nil), "--log-format", "json", "--log-level", "debug"],
            environment: ["CREDENTIALS_DIRECTORY": credentials]
        )
        #expect(viaCredential.status == 0, "\(viaCredential.stderr)")
        #expect(!viaCredential.stderr.contains(Self.token))
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: database + suffix) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: database + suffix))
            #expect(bytes.range(of: Data(Self.token.utf8)) == nil, "the token is in \(database + suffix)")
        }
        #expect(try modificationDates().dropFirst() == before.dropFirst(), "a token file was written")
    }

    @Test func onceWithAnUnknownTaskFailsNamingItButSyncsTheOthers() async throws {
        let config = try configFile(tasks: tasks + ["nobody~nothing"])
        let result = try await ProgramRun.run(["once", "--config", config])
        #expect(result.status == 1)
        #expect(result.stderr.contains("task nobody~nothing failed"))
        #expect(result.stderr.contains("does not exist"))
        #expect(try count("SELECT count(*) FROM runs") == 1212)
    }

    @Test func aBadTokenFailsEveryTaskWithoutShowingTheToken() async throws {
        let config = try configFile(token: "apify_api_WRONGwrongWRONG")
        let once = try await ProgramRun.run(["once", "--config", config])
        #expect(once.status == 1)
        #expect(once.stderr.contains("rejected the token read from the \"token\" key"))
        #expect(!once.stderr.contains("WRONGwrongWRONG"))
        let check = try await ProgramRun.run(["check-config", "--config", config])
        #expect(check.status == 1)
        #expect(!check.stdout.contains("WRONGwrongWRONG") && !check.stderr.contains("WRONGwrongWRONG"))
    }

    /// The user running the tests, for checks that must not depend on whether the service user exists.
    static var currentUser: String { String(cString: getpwuid(getuid()).pointee.pw_name) }

    @Test func checkConfigChecksEveryTask() async throws {
        let good = try await ProgramRun.run([
            "check-config", "--config", try configFile(), "--as-user", Self.currentUser,
        ])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("task jane~news: ok"))
        let bad = try await ProgramRun.run([
            "check-config", "--config", try configFile(tasks: ["jane~news", "nobody~x"]),
        ])
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("task nobody~x: FAILED"))
    }

    @Test func checkConfigChecksTheDatabaseDirectoryAsTheServiceUser() async throws {
        // Judged from the modes as `nobody` would meet them, whoever runs the check (root included).
        let data = directory.path("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.url.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: data)
        let config = try configFile(database: "\(data)/runs.db")
        let closed = try await ProgramRun.run(["check-config", "--config", config, "--as-user", "nobody"])
        #expect(closed.status == 1, "\(closed.stdout)")
        #expect(
            closed.stdout.contains("database \(data)/runs.db: FAILED: the directory \(data) is not writable by nobody")
        )
        #expect(closed.stdout.contains("ReadWritePaths=") == false, "only for the service user")
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: data)
        let open = try await ProgramRun.run(["check-config", "--config", config, "--as-user", "nobody"])
        #expect(open.status == 0, "\(open.stdout)")
        #expect(open.stdout.contains("database \(data)/runs.db: directory writable by nobody"), "\(open.stdout)")
        let unknown = try await ProgramRun.run([
            "check-config", "--config", config, "--as-user", "no-such-user-apify-runs-sync-test",
        ])
        #expect(unknown.status == 1)
        #expect(unknown.stdout.contains("there is no user no-such-user-apify-runs-sync-test"))
    }

    @Test func checkConfigSaysSystemdCreatesTheStateDirectory() async throws {
        let state = "/var/lib/apify-runs-sync"
        guard !FileManager.default.fileExists(atPath: state) else {
            // DatabaseAccessTests judges the same case on a file system of its own.
            print("note: \(state) exists on this machine; the missing-state-directory case is not run here")
            return
        }
        let config = try configFile(database: "/var/lib/apify-runs-sync/runs.db")
        let result = try await ProgramRun.run(["check-config", "--config", config])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("database \(state)/runs.db: ok: the directory \(state) does not exist yet"))
        #expect(result.stdout.contains("StateDirectory="))
        #expect(!FileManager.default.fileExists(atPath: state), "check-config creates nothing")
        // At run time, outside the service, the same path is a configuration error (78), not "in use" (75).
        let once = try await ProgramRun.run(["once", "--config", config])
        #expect(once.status == 78, "\(once.stderr)")
        #expect(once.stderr.contains("StateDirectory=") && !once.stderr.contains("database in use"), "\(once.stderr)")
    }

    @Test func configurationErrorsExit78NamingKeyAndFile() async throws {
        let config = try configFile(extra: #","pollIntervalSeconds":0"#)
        for command in ["once", "run", "check-config"] {
            let result = try await ProgramRun.run([command, "--config", config])
            #expect(result.status == 78)
            #expect(result.stderr.contains("pollIntervalSeconds") && result.stderr.contains(config))
        }
        let noToken = try await ProgramRun.run(["once", "--config", try configFile(token: nil)])
        #expect(noToken.status == 78)
        #expect(noToken.stderr.contains("no API token found"))
        let fromEnvironment = try await ProgramRun.run(
            ["once", "--config", try configFile(token: nil)],
            environment: ["APIFY_TOKEN": Self.token]
        )
        #expect(fromEnvironment.status == 0)
    }

    @Test func aDatabaseOfAnOlderReleaseIsUpgradedAndTheLogSaysSo() async throws {
        let config = try configFile()
        let first = try await ProgramRun.run(["once", "--config", config])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(!first.stderr.contains("schema_upgraded"), "a new file is created, not upgraded")
        let durations = try count("SELECT count(duration_seconds) FROM runs")
        #expect(durations == 1202, "every finished run has its duration")
        let db = try Database(path: database)
        try db.execute(OlderSchemas.downgradeToVersion2)
        try db.close(optimize: false)

        let second = try await ProgramRun.run(["once", "--config", config])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("event=schema_upgraded"), "\(second.stderr)")
        #expect(second.stderr.contains("from_version=2") && second.stderr.contains("to_version=6"))
        #expect(try count("PRAGMA user_version") == 6)
        #expect(try count("SELECT count(duration_seconds) FROM runs") == durations)
    }

    @Test func aForeignDatabaseIsRefusedUntouched() async throws {
        let db = try Database(path: database)
        try db.execute("PRAGMA application_id = 42; CREATE TABLE mine (x)")
        try db.close(optimize: false)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: database))
        let result = try await ProgramRun.run(["once", "--config", try configFile()])
        #expect(result.status == 78)
        #expect(result.stderr.contains("not an apify-runs-sync database"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == bytes)
    }

    @Test func aTaskIsItsIDWhicheverWayTheConfigurationNamesIt() async throws {
        let (taskId, running) = simulator.withWorld { world in
            let id = world.taskIdByName["jane~news"]!
            return (id, world.createRuns(task: id, count: 1, status: "RUNNING")[0])
        }
        let first = try await ProgramRun.run(["once", "--config", try configFile(tasks: [taskId])])
        #expect(first.status == 0, "\(first.stderr)")
        simulator.withWorld { $0.setStatus(run: running, to: "FAILED") }
        // The same task by name, and by ID again: one task, one cursor, the failure logged once.
        let second = try await ProgramRun.run(["once", "--config", try configFile(tasks: ["jane~news", taskId])])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("event=task_duplicate"), "\(second.stderr)")
        #expect(second.stderr.components(separatedBy: "event=run_failed").count == 2, "\(second.stderr)")
        #expect(try count("SELECT count(*) FROM sync_state") == 1)
        #expect(try count("SELECT count(*) FROM runs WHERE status = 'RUNNING'") == 0)
        let status = try await ProgramRun.run(["status", "--config", try configFile(tasks: ["jane~news"])])
        #expect(status.stdout.contains("jane~news: 1203 runs"), "\(status.stdout)")
        #expect(!status.stdout.contains("no longer configured"), "\(status.stdout)")
    }

    @Test func aFileThatIsNotSQLiteIsAConfigurationErrorAndStaysUntouched() async throws {
        let bytes = Data(String(repeating: "these are not the pages of a database\n", count: 200).utf8)
        try bytes.write(to: URL(fileURLWithPath: database))
        let result = try await ProgramRun.run(["once", "--config", try configFile()])
        #expect(result.status == 78, "\(result.stderr)")
        #expect(result.stderr.contains("is not an SQLite database"), "\(result.stderr)")
        let status = try await ProgramRun.run(["status", "--config", try configFile()])
        #expect(status.status == 78, "\(status.stderr)")
        #expect(status.stderr.contains("is not an SQLite database"), "\(status.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == bytes)
    }

    @Test func aDatabasePathThatCannotBeAFileIsAConfigurationError() async throws {
        // A directory where the file should be, and a directory that does not exist.
        try FileManager.default.createDirectory(atPath: database, withIntermediateDirectories: true)
        let directory = try await ProgramRun.run(["once", "--config", try configFile()])
        #expect(directory.status == 78, "\(directory.stderr)")
        let path = self.directory.path("config-missing.json")
        let json =
            #"{"apiBaseUrl":"\#(simulator.baseURL)","database":"\#(self.directory.path("nope/runs.db"))","tasks":["a"],"token":"\#(Self.token)"}"#
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let absent = try await ProgramRun.run(["once", "--config", path])
        #expect(absent.status == 78, "\(absent.stderr)")
        #expect(absent.stderr.contains("does not exist"), "\(absent.stderr)")
        #expect(!absent.stderr.contains("database in use"), "\(absent.stderr)")
    }

    @Test func onceWithJSONLogsWritesNothingButJSONLinesEvenWhenASourceFails() async throws {
        let config = try configFile(tasks: [tasks[1], "nobody~missing"])
        let result = try await ProgramRun.run(["once", "--config", config, "--log-format", "json"])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.contains { $0.contains(#""event":"pass_failed""#) }, "\(result.stderr)")
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON line: \(line)")
            if object?["event"] as? String == "task_synced" { #expect(object?["new_runs"] as? Int == 10) }
        }
    }

    /// A reload that changes nothing keeps the loops where they stand on the grid: with an hour's
    /// interval, no pass follows it. One that changes something restarts them, and every source polls
    /// at once.
    @Test func aReloadThatChangesNothingKeepsTheLoops() async throws {
        let config = try configFile(tasks: [tasks[1]], extra: #","pollIntervalSeconds":3600"#)
        let daemon = try ProgramRun(["run", "--config", config, "--log-level", "debug"])
        defer { if daemon.isRunning { daemon.signal(SIGKILL) } }
        func passes() -> Int { daemon.stderr.components(separatedBy: "event=task_synced").count - 1 }
        try await waitUntil { passes() == 1 }
        daemon.signal(SIGHUP)
        try await waitUntil { daemon.stderr.contains("loops=kept") }
        try await Task.sleep(for: .seconds(2))
        #expect(passes() == 1, "\(daemon.stderr)")
        _ = try configFile(tasks: [tasks[1]], extra: #","pollIntervalSeconds":3600,"maxConcurrentTasks":3"#)
        daemon.signal(SIGHUP)
        try await waitUntil { passes() == 2 }
        #expect(daemon.stderr.components(separatedBy: "event=config_reloaded").count == 3, "\(daemon.stderr)")
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(25)) == 0, "\(daemon.stderr)")
    }

    @Test func sighupReloadsTheSourcesAndAnInvalidFileKeepsTheRunningOnes() async throws {
        let config = try configFile(tasks: [tasks[1]], extra: #","pollIntervalSeconds":1"#)
        let daemon = try ProgramRun(["run", "--config", config])
        try await waitUntil { (try? self.count("SELECT count(*) FROM runs")) == 10 }
        // A second task, by name: picked up without a restart.
        _ = try configFile(extra: #","pollIntervalSeconds":1"#)
        daemon.signal(SIGHUP)
        try await waitUntil(timeout: .seconds(30)) { (try? self.count("SELECT count(*) FROM runs")) == 1212 }
        #expect(daemon.stderr.contains("event=config_reloaded"), "\(daemon.stderr)")
        // A broken file is refused; the daemon goes on with what it runs.
        try Data("{\"database\":".utf8).write(to: URL(fileURLWithPath: config))
        daemon.signal(SIGHUP)
        try await waitUntil { daemon.stderr.contains("event=config_reload_failed") }
        #expect(daemon.stderr.contains("line 1, column"), "\(daemon.stderr)")
        let newRun = simulator.withWorld { world in
            world.createRuns(task: world.taskIdByName["jane~news"]!, count: 1)[0]
        }
        try await waitUntil(timeout: .seconds(30)) {
            (try? self.count("SELECT count(*) FROM runs WHERE id = '\(newRun)'")) == 1
        }
        // The same task by its ID instead of its name: still polled, not taken for a duplicate.
        let newsId = simulator.withWorld { $0.taskIdByName["jane~news"]! }
        _ = try configFile(tasks: [newsId, tasks[1]], extra: #","pollIntervalSeconds":1"#)
        daemon.signal(SIGHUP)
        try await waitUntil { daemon.stderr.components(separatedBy: "event=config_reloaded").count == 3 }
        let byId = simulator.withWorld { $0.createRuns(task: newsId, count: 1)[0] }
        try await waitUntil(timeout: .seconds(30)) {
            (try? self.count("SELECT count(*) FROM runs WHERE id = '\(byId)'")) == 1
        }
        // A sink added by a reload gets the failures from then on.
        let received = directory.path("received")
        let sink =
            #"{"name":"rec","type":"exec","events":["run_failed"],"command":["/bin/sh","-c","cat >> \"$0\"","\#(received)"]}"#
        _ = try configFile(
            tasks: [newsId, tasks[1]],
            extra: #","pollIntervalSeconds":1,"alerts":{"sinks":[\#(sink)]}"#
        )
        daemon.signal(SIGHUP)
        try await waitUntil { daemon.stderr.components(separatedBy: "event=config_reloaded").count == 4 }
        let failed = simulator.withWorld { world in
            let run = world.tasks[tasks[1]]!.runs.first { $0.status == "RUNNING" }!.id
            world.setStatus(run: run, to: "FAILED")
            return run
        }
        try await waitUntil(timeout: .seconds(30)) {
            ((try? String(contentsOfFile: received, encoding: .utf8)) ?? "").contains(failed)
        }
        // The same file again: read, and the loops go on as they were (restarted, every source would
        // poll at once); so does a change that waits for the next start.
        daemon.signal(SIGHUP)
        try await waitUntil { daemon.stderr.components(separatedBy: "event=config_reloaded").count == 5 }
        let unchanged = daemon.stderr.components(separatedBy: "event=config_reloaded").last ?? ""
        #expect(unchanged.prefix(while: { $0 != "\n" }).contains("loops=kept"), "\(daemon.stderr)")
        _ = try configFile(
            tasks: [newsId, tasks[1]],
            extra: #","pollIntervalSeconds":1,"requestTimeoutSeconds":7,"alerts":{"sinks":[\#(sink)]}"#
        )
        daemon.signal(SIGHUP)
        try await waitUntil { daemon.stderr.components(separatedBy: "event=config_reloaded").count == 6 }
        let later = daemon.stderr.components(separatedBy: "event=config_reloaded").last ?? ""
        let line = later.prefix(while: { $0 != "\n" })
        #expect(line.contains("loops=kept") && line.contains("at_next_start=requestTimeoutSeconds"), "\(daemon.stderr)")
        let afterReloads = simulator.withWorld { $0.createRuns(task: newsId, count: 1)[0] }
        try await waitUntil(timeout: .seconds(30)) {
            (try? self.count("SELECT count(*) FROM runs WHERE id = '\(afterReloads)'")) == 1
        }
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(25)) == 0, "\(daemon.stderr)")
        #expect(!daemon.stderr.contains(Self.token))
    }

    @Test func theDaemonFollowsChangesLogsEachFailureOnceAndStopsOnSIGTERM() async throws {
        let config = try configFile(extra: #","pollIntervalSeconds":1"#)
        let daemon = try ProgramRun(["run", "--config", config])
        try await waitUntil { (try? self.count("SELECT count(*) FROM runs")) == 1212 }

        let second = try await ProgramRun.run(["run", "--config", config])
        #expect(second.status == 75)
        #expect(second.stderr.contains("already running"))

        let (failed, timedOut) = simulator.withWorld { world in
            let running = world.tasks[tasks[1]]!.runs.map(\.id)
            world.setStatus(run: running[0], to: "FAILED")
            world.setStatus(run: running[1], to: "TIMED-OUT")
            world.createRuns(task: tasks[1], count: 1, status: "FAILED")
            return (running[0], running[1])
        }
        // Within two 1-second intervals on a quiet machine (about 2 s); the wait allows for a test run
        // loaded by the other suites. The benchmark measures the latency itself.
        try await waitUntil(timeout: .seconds(60)) {
            (try? self.count(
                "SELECT count(*) FROM runs WHERE status IN ('FAILED','TIMED-OUT') AND task_id = '\(tasks[1])'"
            )) == 3
        }
        // Two more intervals: nothing may be logged twice.
        try await Task.sleep(for: .seconds(2.5))
        daemon.signal(SIGTERM)
        // A daemon that does not stop is killed when the wait ends, and its status is then not 0; the
        // bound is generous for a loaded machine and inside the unit's 30 s stop timeout.
        let status = await daemon.wait(timeout: .seconds(25))
        #expect(status == 0)
        let lines = daemon.stderr.split(separator: "\n")
        #expect(lines.filter { $0.contains("event=run_failed") && $0.contains(failed) }.count == 1)
        #expect(lines.filter { $0.contains("event=run_timed_out") && $0.contains(timedOut) }.count == 1)
        #expect(lines.filter { $0.contains("event=run_failed") }.count == 2)
        #expect(lines.contains { $0.contains("event=daemon_stopping") })
        #expect(!daemon.stderr.contains(Self.token))
    }

    @Test func theDemoLeavesADatabaseWithRunsAndFailures() async throws {
        let result = try await ProgramRun.run(
            ["demo", "--duration", "4", "--interval", "1"],
            directory: directory.url.path
        )
        #expect(result.status == 0, "\(result.stderr)")
        let db = try Database(path: directory.path("demo.db"), readOnly: true)
        defer { try? db.close(optimize: false) }
        #expect(try db.scalar("SELECT count(*) FROM runs").integer ?? 0 >= 120)
        #expect(try db.scalar("SELECT count(*) FROM recent_failures").integer ?? 0 > 0)
        #expect(result.stderr.contains("sqlite3"))
    }

    @Test func versionPrints() async throws {
        let result = try await ProgramRun.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }

    private func waitUntil(timeout: Duration = .seconds(20), _ condition: @escaping () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            if ContinuousClock.now > deadline {
                Issue.record("condition not met within \(timeout)")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
