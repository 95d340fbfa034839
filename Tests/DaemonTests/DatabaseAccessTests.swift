import Daemon
import Testing

/// `check-config`'s judgement of the database directory, for the user the service runs as.
@Suite struct DatabaseAccessTests {
    typealias Status = DatabaseAccess.FileStatus
    static let service = DatabaseAccess.Identity(name: "apify-runs-sync", uid: 990, gids: [990])
    static let alice = DatabaseAccess.Identity(name: "alice", uid: 1000, gids: [1000, 990])

    /// A file system of root-owned, world-searchable directories plus `entries`.
    static func fileSystem(_ entries: [String: Status]) -> (String) -> Status? {
        let base: [String: Status] = [
            "/": Status(isDirectory: true, permissions: 0o755, uid: 0, gid: 0),
            "/var": Status(isDirectory: true, permissions: 0o755, uid: 0, gid: 0),
            "/var/lib": Status(isDirectory: true, permissions: 0o755, uid: 0, gid: 0),
            "/srv": Status(isDirectory: true, permissions: 0o755, uid: 0, gid: 0),
        ]
        let all = base.merging(entries) { _, new in new }
        return { all[$0] }
    }

    @Test func aMissingStateDirectoryIsCreatedBySystemd() {
        let verdict = DatabaseAccess.check(
            database: "/var/lib/apify-runs-sync/runs.db",
            as: Self.service,
            status: Self.fileSystem([:])
        )
        guard case .createdBySystemd(let detail) = verdict else {
            Issue.record("\(verdict)")
            return
        }
        #expect(detail.contains("StateDirectory=") && detail.contains("/var/lib/apify-runs-sync"))
    }

    @Test func aMissingDirectoryElsewhereOrBelowTheStateDirectoryIsAFailure() {
        for database in ["/var/lib/apify-runs-sync/sub/runs.db", "/srv/data/runs.db"] {
            let verdict = DatabaseAccess.check(database: database, as: Self.service, status: Self.fileSystem([:]))
            guard case .unusable(let detail) = verdict else {
                Issue.record("\(database): \(verdict)")
                continue
            }
            #expect(detail.contains("does not exist") && !detail.contains("StateDirectory"), "\(detail)")
        }
    }

    @Test func theDirectoryMustBeWritableByTheUserNotByWhoeverRunsTheCheck() {
        let rootOwned = Self.fileSystem(["/srv/data": Status(isDirectory: true, permissions: 0o755, uid: 0, gid: 0)])
        #expect(
            DatabaseAccess.check(database: "/srv/data/runs.db", as: Self.service, status: rootOwned)
                == .unusable("the directory /srv/data is not writable by apify-runs-sync")
        )
        let root = DatabaseAccess.Identity(name: "root", uid: 0, gids: [0])
        #expect(
            DatabaseAccess.check(database: "/srv/data/runs.db", as: root, status: rootOwned)
                == .usable("directory writable by root")
        )
        // Group write is enough for a member of the group, not for another user.
        let group = Self.fileSystem(["/srv/data": Status(isDirectory: true, permissions: 0o770, uid: 0, gid: 990)])
        #expect(
            DatabaseAccess.check(database: "/srv/data/runs.db", as: Self.alice, status: group)
                == .usable("directory writable by alice")
        )
        let stranger = DatabaseAccess.Identity(name: "bob", uid: 1001, gids: [1001])
        #expect(
            DatabaseAccess.check(database: "/srv/data/runs.db", as: stranger, status: group)
                == .unusable("the directory /srv/data is not writable by bob")
        )
    }

    @Test func everyAncestorMustBeSearchable() {
        let closed = Self.fileSystem([
            "/srv": Status(isDirectory: true, permissions: 0o700, uid: 0, gid: 0),
            "/srv/data": Status(isDirectory: true, permissions: 0o777, uid: 0, gid: 0),
        ])
        #expect(
            DatabaseAccess.check(database: "/srv/data/runs.db", as: Self.service, status: closed)
                == .unusable("apify-runs-sync cannot reach /srv/data: /srv is not searchable by it")
        )
    }

    @Test func anExistingDatabaseOrWALFileMustBeWritable() {
        let directory = Status(isDirectory: true, permissions: 0o750, uid: 990, gid: 990)
        let ownFile = Status(isDirectory: false, permissions: 0o640, uid: 990, gid: 990)
        let rootFile = Status(isDirectory: false, permissions: 0o644, uid: 0, gid: 0)
        let fine = Self.fileSystem(["/srv/db": directory, "/srv/db/runs.db": ownFile, "/srv/db/runs.db-wal": ownFile])
        #expect(
            DatabaseAccess.check(database: "/srv/db/runs.db", as: Self.service, status: fine)
                == .usable("directory writable by apify-runs-sync")
        )
        // Left behind by `sudo apify-runs-sync once`: root's WAL file stops the service.
        let wal = Self.fileSystem(["/srv/db": directory, "/srv/db/runs.db": ownFile, "/srv/db/runs.db-wal": rootFile])
        #expect(
            DatabaseAccess.check(database: "/srv/db/runs.db", as: Self.service, status: wal)
                == .unusable("/srv/db/runs.db-wal exists and is not readable and writable by apify-runs-sync")
        )
    }

    @Test func aFileWhereTheDirectoryShouldBeIsAFailure() {
        let file = Self.fileSystem(["/srv/data": Status(isDirectory: false, permissions: 0o644, uid: 0, gid: 0)])
        #expect(
            DatabaseAccess.check(database: "/srv/data/runs.db", as: Self.service, status: file)
                == .unusable("/srv/data is not a directory")
        )
    }

    @Test func theRunTimeMessageForTheStateDirectorySaysSystemdCreatesIt() {
        let state = DatabaseAccess.missingDirectoryMessage("/var/lib/apify-runs-sync")
        #expect(state.contains("StateDirectory=") && state.contains("install -d"))
        let other = DatabaseAccess.missingDirectoryMessage("/srv/data")
        #expect(other == "the directory /srv/data does not exist: create it, or fix \"database\"")
    }

    @Test func aUserIsLookedUpWithItsGroups() throws {
        let root = try #require(DatabaseAccess.Identity.user(named: "root"))
        #expect(root.uid == 0 && root.gids.contains(0))
        #expect(DatabaseAccess.Identity.user(named: "no-such-user-apify-runs-sync-test") == nil)
    }
}
