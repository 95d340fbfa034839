import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Whether a user can create and write the database where the configuration puts it, judged from
/// the owners and permission bits of the path (no file is created, no privilege is dropped).
///
/// `check-config` run as root asks it for the service user: a forked child that dropped privileges
/// would see the same bits, but forking a multithreaded Swift process is unsafe, and a judgement
/// from `stat` is a pure function that tests can drive without root. It reads POSIX modes only:
/// ACLs and the unit's own sandbox are not consulted (the sandbox is reported separately).
package enum DatabaseAccess {
    /// The unit's `StateDirectory=`, which systemd creates (owned by the service user) at start.
    package static let stateDirectory = "/var/lib/apify-runs-sync"

    /// Who the database must be usable by.
    package struct Identity: Sendable, Equatable {
        package var name: String
        package var uid: UInt32
        package var gids: Set<UInt32>

        package init(name: String, uid: UInt32, gids: Set<UInt32>) {
            self.name = name
            self.uid = uid
            self.gids = gids
        }

        /// The process's own user.
        package static var current: Identity {
            let uid = getuid()
            let count = getgroups(0, nil)
            var groups = [gid_t](repeating: 0, count: Int(max(count, 0)))
            let filled = getgroups(count, &groups)
            let name = getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? "uid \(uid)"
            return Identity(name: name, uid: uid, gids: Set(groups.prefix(Int(max(filled, 0)))).union([getgid()]))
        }

        /// A user of this machine by name, with its primary and supplementary groups; nil when
        /// there is no such user.
        package static func user(named name: String) -> Identity? {
            guard let entry = getpwnam(name) else { return nil }
            let (uid, gid) = (entry.pointee.pw_uid, entry.pointee.pw_gid)
            var count: Int32 = 64
            var groups = [gid_t](repeating: 0, count: Int(count))
            while getgrouplist(name, gid, &groups, &count) < 0 {
                groups = [gid_t](repeating: 0, count: Int(count))
            }
            return Identity(name: name, uid: uid, gids: Set(groups.prefix(Int(count))).union([gid]))
        }
    }

    /// What `stat` says of a path, the part that access depends on.
    package struct FileStatus: Sendable, Equatable {
        package var isDirectory: Bool
        /// The permission bits (`0o750`).
        package var permissions: UInt32
        package var uid: UInt32
        package var gid: UInt32

        package init(isDirectory: Bool, permissions: UInt32, uid: UInt32, gid: UInt32) {
            self.isDirectory = isDirectory
            self.permissions = permissions
            self.uid = uid
            self.gid = gid
        }

        /// `stat(2)` of a path, following symbolic links; nil when it does not exist.
        package static func of(_ path: String) -> FileStatus? {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            return FileStatus(
                isDirectory: info.st_mode & S_IFMT == S_IFDIR,
                permissions: UInt32(info.st_mode) & 0o7777,
                uid: info.st_uid,
                gid: info.st_gid
            )
        }
    }

    package enum Verdict: Sendable, Equatable {
        case usable(String)
        /// The directory is the state directory, which systemd will create when the service starts.
        case createdBySystemd(String)
        case unusable(String)
    }

    /// The verdict on `database` for `identity`; `status` is `FileStatus.of` outside tests.
    package static func check(
        database: String,
        as identity: Identity,
        stateDirectory: String = DatabaseAccess.stateDirectory,
        status: (String) -> FileStatus? = FileStatus.of
    ) -> Verdict {
        let directory = Self.directory(of: database)
        guard let directoryStatus = status(directory) else {
            if directory == stateDirectory {
                return .createdBySystemd(
                    "the directory \(directory) does not exist yet: systemd creates it for the service "
                        + "(StateDirectory=) when the service starts"
                )
            }
            return .unusable(missingDirectoryMessage(directory, stateDirectory: stateDirectory))
        }
        guard directoryStatus.isDirectory else { return .unusable("\(directory) is not a directory") }
        var ancestor = (directory as NSString).deletingLastPathComponent
        while directory.hasPrefix("/"), !ancestor.isEmpty {
            if let ancestorStatus = status(ancestor), !allows(ancestorStatus, identity, execute: true) {
                return .unusable("\(identity.name) cannot reach \(directory): \(ancestor) is not searchable by it")
            }
            if ancestor == "/" { break }
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
        guard allows(directoryStatus, identity, write: true, execute: true) else {
            return .unusable("the directory \(directory) is not writable by \(identity.name)")
        }
        for file in [database, database + "-wal", database + "-shm", database + ".lock"] {
            if let fileStatus = status(file), !allows(fileStatus, identity, read: true, write: true) {
                return .unusable("\(file) exists and is not readable and writable by \(identity.name)")
            }
        }
        return .usable("directory writable by \(identity.name)")
    }

    /// Why a missing database directory stops the daemon, and what to do about it.
    package static func missingDirectoryMessage(
        _ directory: String,
        stateDirectory: String = DatabaseAccess.stateDirectory
    ) -> String {
        if directory == stateDirectory {
            return "the directory \(directory) does not exist: systemd creates it (StateDirectory=) when the "
                + "service starts; outside the service, start it once first or create it with "
                + "install -d -m 0750 -o apify-runs-sync -g apify-runs-sync \(directory)"
        }
        return "the directory \(directory) does not exist: create it, or fix \"database\""
    }

    /// The directory that holds the database file (`.` for a bare name).
    package static func directory(of database: String) -> String {
        let directory = (database as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    /// POSIX permission check: the owner's bits for the owner, the group's for a member, else the
    /// others'; root passes (the check as root is the check of a root process, not of the service).
    static func allows(
        _ file: FileStatus,
        _ identity: Identity,
        read: Bool = false,
        write: Bool = false,
        execute: Bool = false
    ) -> Bool {
        if identity.uid == 0 { return !execute || file.isDirectory || file.permissions & 0o111 != 0 }
        let shift: UInt32 = identity.uid == file.uid ? 6 : identity.gids.contains(file.gid) ? 3 : 0
        let bits = (file.permissions >> shift) & 0o7
        return (!read || bits & 0o4 != 0) && (!write || bits & 0o2 != 0) && (!execute || bits & 0o1 != 0)
    }
}
