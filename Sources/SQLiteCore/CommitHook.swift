import ApifyRunsCSQLite

/// A Swift closure called after each commit of a connection in WAL mode with the number of frames in
/// its write-ahead log (`sqlite3_wal_hook`), kept alive by the connection that registered it.
final class CommitHook {
    let body: (Int) -> Void

    init(_ body: @escaping (Int) -> Void) {
        self.body = body
    }

    /// The C callback: `context` is the hook, unretained.
    static let callback:
        @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) ->
            Int32 = { context, _, _, frames in
                guard let context else { return SQLITE_OK }
                Unmanaged<CommitHook>.fromOpaque(context).takeUnretainedValue().body(Int(frames))
                return SQLITE_OK
            }
}
