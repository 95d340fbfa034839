import Daemon
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct SystemdNotifierTests {
    /// A datagram socket bound to `name` (a path, or `@abstract`), receiving what the notifier sends.
    private func withReceiver(_ name: String, _ body: (Int32) throws -> Void) throws {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(2 + bytes.count + (bytes.first == 0 ? 0 : 1))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        try #require(bound == 0)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        try body(descriptor)
    }

    private func receive(_ descriptor: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }

    @Test func messagesArriveOnAPathSocket() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("notify")
        try withReceiver(path) { descriptor in
            let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path])
            notifier.ready(status: "watching 2 tasks")
            #expect(receive(descriptor) == "READY=1\nSTATUS=watching 2 tasks")
            notifier.watchdog()
            #expect(receive(descriptor) == "WATCHDOG=1")
            notifier.stopping()
            #expect(receive(descriptor) == "STOPPING=1\nSTATUS=stopping")
        }
    }

    @Test func messagesArriveOnAnAbstractSocket() throws {
        let name = "@apify-runs-sync-test-\(UUID().uuidString)"
        try withReceiver(name) { descriptor in
            let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": name])
            notifier.status("3 tasks")
            #expect(receive(descriptor) == "STATUS=3 tasks")
        }
    }

    @Test func withoutTheVariableNothingIsSent() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        #expect(!notifier.send("READY=1"))
    }

    @Test func theWatchdogIntervalComesFromWatchdogUsec() {
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000"]).watchdogInterval == .seconds(30))
        #expect(
            SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"]).watchdogInterval == nil
        )
        #expect(SystemdNotifier(environment: [:]).watchdogInterval == nil)
    }
}
