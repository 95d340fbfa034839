import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One daemon per database: an exclusive `flock` on `<database>.lock`, held for the life of the process.
package final class DaemonLock: Sendable {
    package let path: String
    private let descriptor: Int32

    /// Takes the lock at once, or fails saying another instance holds it.
    package init(database: String) throws(DaemonLockError) {
        path = database + ".lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            let code = errno
            let directory = DatabaseAccess.directory(of: database)
            throw DaemonLockError(
                message: "cannot create the lock file \(path): \(String(cString: strerror(code)))"
                    + (code == ENOENT || code == ENOTDIR
                        ? "; " + DatabaseAccess.missingDirectoryMessage(directory) : ""),
                isConfiguration: code == ENOENT || code == ENOTDIR || code == EACCES || code == EROFS
                    || code == EISDIR
            )
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK {
                throw DaemonLockError(
                    message:
                        "another apify-runs-sync is already running on \(database) (it holds \(path)); stop it first"
                )
            }
            throw DaemonLockError(message: "cannot lock \(path): \(String(cString: strerror(code)))")
        }
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

package struct DaemonLockError: Error, CustomStringConvertible, Sendable {
    package let message: String
    /// The configuration names a place no lock can be: retrying will not help (not another instance).
    package var isConfiguration = false
    package var description: String { message }
}
