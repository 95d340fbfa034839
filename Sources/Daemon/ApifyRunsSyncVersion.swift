/// The program's version, for `--version` and the User-Agent header.
package enum ApifyRunsSyncVersion {
    package static let current = "0.1.0"
    package static var userAgent: String { "apify-runs-sync/\(current) (+https://github.com/apify-runs-sync)" }
}
