import ApifySimulator
import RunModel
import SQLiteCore

/// A test that synced a simulated API's runs into a database, and checks the one against the other.
package protocol SyncedFromSimulator {
    /// The runs the simulated API lists now: the truth the database is checked against.
    var listedRuns: [SimulatedRun] { get }
    /// The database the runs were synced into.
    var databasePath: String { get }
    /// Whether a stored run's start, finish and cost must equal the listed run's too, beside its status.
    var checksRunFields: Bool { get }
    /// Commits what the test's store holds back, so that a connection of its own sees it.
    func flush() async throws
}

extension SyncedFromSimulator {
    /// The listed runs that are not stored, and those stored with another status (or other fields,
    /// with `checksRunFields`) or marked deleted.
    package func runsNotMatchingTruth() async throws -> (missing: [String], wrong: [String]) {
        try await flush()
        let database = try Database(path: databasePath, readOnly: true)
        defer { try? database.close(optimize: false) }
        var byId: [String: [SQLiteValue]] = [:]
        let columns = "id, status, deleted_at IS NULL, started_at, finished_at, usage_total_usd"
        for row in try database.rows("SELECT \(columns) FROM runs") { byId[row[0].text!] = row }
        var missing: [String] = []
        var wrong: [String] = []
        for run in listedRuns {
            guard let row = byId[run.id] else {
                missing.append(run.id)
                continue
            }
            var listed: [SQLiteValue] = [.text(run.id), .text(run.status), .integer(1)]
            if checksRunFields {
                listed += [
                    SQLiteValue(run.startedAtMs.map { ISOTimestamp.string(milliseconds: $0) }),
                    SQLiteValue(run.finishedAtMs.map { ISOTimestamp.string(milliseconds: $0) }),
                    .real(run.usageTotalUsd),
                ]
            }
            let stored = Array(row.prefix(listed.count))
            if stored != listed {
                wrong.append("\(run.id): stored \(stored.dropFirst()), listed \(listed.dropFirst())")
            }
        }
        return (missing, wrong)
    }

    /// What keeps the database from matching the API: listed runs not stored, stored wrong (with
    /// `checksRunFields`, also by start, finish and cost) or marked deleted, and broken
    /// `DatabaseInvariants`. Empty when every listed run is stored, live, as listed. (Without
    /// swift-testing, which a library target cannot import in a release build: each test target
    /// expects it empty, `SyncedFromSimulator+Expect.swift`.)
    package func truthProblems() async throws -> [String] {
        let (missing, wrong) = try await runsNotMatchingTruth()
        var problems: [String] = []
        if !missing.isEmpty {
            problems.append(
                "\(missing.count) of \(listedRuns.count) listed runs are not stored, e.g. \(missing.prefix(5))"
            )
        }
        if !wrong.isEmpty { problems.append("\(wrong.count) stored wrong, e.g. \(wrong.prefix(5))") }
        return problems + (try DatabaseInvariants.violations(in: databasePath))
    }
}
