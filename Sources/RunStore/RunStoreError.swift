/// Why a database file was refused before anything in it was touched.
package enum RunStoreError: Error, CustomStringConvertible, Sendable {
    /// The file belongs to another application (a different `application_id`, or foreign tables).
    case notOurs(path: String, applicationID: Int32)
    /// The file was written by a newer apify-runs-sync whose schema this binary does not know.
    case tooNew(path: String, version: Int32, supported: Int32)
    /// The file cannot be written (permissions, or a read-only file system).
    case readOnly(path: String)
    /// The file is not an SQLite database, or a damaged one (SQLite's own words in `reason`).
    case notADatabase(path: String, reason: String)

    package var description: String {
        switch self {
        case .notOurs(let path, let applicationID):
            let id = applicationID == 0 ? "no application id but tables of its own" : "application_id \(applicationID)"
            return
                "\(path) is not an apify-runs-sync database (\(id)); refusing to touch it. Point `database` at a new file."
        case .tooNew(let path, let version, let supported):
            return
                "\(path) has schema version \(version), newer than this binary supports (\(supported)); "
                + "refusing to touch it. Upgrade apify-runs-sync."
        case .notADatabase(let path, let reason):
            return "\(path) is not an SQLite database, or is damaged (\(reason)); refusing to touch it. "
                + "Point `database` at the right file, or move this one away."
        case .readOnly(let path):
            return "\(path) is read-only for this user; the daemon needs write access to the file and its directory."
        }
    }
}
