import Foundation
import Synchronization

/// A wall clock that tests move by hand.
package final class ManualDate: Sendable {
    private let date: Mutex<Date>

    package init(_ date: Date = Date(timeIntervalSince1970: 1_767_225_600)) {
        self.date = Mutex(date)
    }

    package var now: Date { date.withLock { $0 } }

    package func advance(by seconds: TimeInterval) { date.withLock { $0 = $0.addingTimeInterval(seconds) } }
}
