import Foundation
import RunModel

/// The ISO-8601 timestamps of the API and of our own columns.
package enum Timestamp {
    /// `2025-01-31T07:34:24.202Z`, the API's own format, for `observed_at` and friends.
    package static func string(from date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Whether `a` is strictly earlier than `b`; nil when either is not a timestamp we can read.
    package static func isEarlier(_ a: String?, than b: String?) -> Bool? {
        guard let a, let b, let left = ISOTimestamp.milliseconds(a), let right = ISOTimestamp.milliseconds(b) else {
            return nil
        }
        return left < right
    }
}
