import Foundation

/// The ISO-8601 timestamps of the API and of our own columns.
package enum Timestamp {
    /// `2025-01-31T07:34:24.202Z`, the API's own format, for `observed_at` and friends.
    package static func string(from date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

}
