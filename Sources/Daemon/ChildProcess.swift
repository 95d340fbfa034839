import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to its end in a process group of its own, with bytes on its stdin and the end
/// of its stderr kept; a timeout or the caller's cancellation stops the whole group.
///
/// Not Foundation's `Process`: on Linux it learns of the exit from a descriptor the child's own
/// children inherit, so a hook that leaves a background process behind (or a `sh -c` killed in
/// its `sleep`) would keep it waiting; and it cannot stop a group.
enum ChildProcess {
    /// How the program ended.
    enum Ending: Equatable, Sendable {
        case exited(Int32)
        case killed(signal: Int32)
        case timedOut
        case notStarted(String)
    }

    /// Runs `argv` (an absolute path first) with `environment`, writing `input` to its stdin; stdout
    /// goes to /dev/null. Returns how it ended and the last bytes of its stderr, on one line.
    static func run(
        _ argv: [String],
        environment: [String: String],
        input: [UInt8],
        timeout: Duration
    ) async -> (ending: Ending, stderr: String) {
        let arguments = argv.map { strdup($0) } + [nil]
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in arguments { free(pointer) }
            for pointer in variables { free(pointer) }
        }
        guard let (pid, stdin, stderr) = Self.spawn(argv[0], arguments, variables) else {
            return (.notStarted("\(argv[0]) could not be started: \(Self.error(errno))"), "")
        }
        // The payload is small (a pipe holds 64 KiB); a program that exits unread gets EPIPE, not us.
        input.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(stdin, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
        close(stdin)

        let tail = StderrTail(descriptor: stderr)
        let stopped = Mutex(false)
        let group = pid
        let timer = Task {
            try await Task.sleep(for: timeout)
            stopped.withLock { $0 = true }
            kill(-group, SIGTERM)
            try await Task.sleep(for: .seconds(5))
            kill(-group, SIGKILL)
        }
        let status = await withTaskCancellationHandler {
            await Self.wait(for: pid)
        } onCancel: {
            // Shutdown: the group gets SIGTERM now and SIGKILL in five seconds, within the unit's
            // stop timeout, whatever the configured timeout.
            kill(-group, SIGTERM)
            Task.detached {
                try? await Task.sleep(for: .seconds(5))
                kill(-group, SIGKILL)
            }
        }
        timer.cancel()
        // The leader is gone; what it left running in its group goes too, when it was stopped.
        if stopped.withLock({ $0 }) || Task.isCancelled { kill(-group, SIGKILL) }
        let text = await tail.finish()
        if stopped.withLock({ $0 }) { return (.timedOut, text) }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        if status & 0x7f == 0 { return (.exited((status >> 8) & 0xff), text) }
        return (.killed(signal: status & 0x7f), text)
    }

    /// Pipes are made and the child spawned under this lock: a pipe is close-on-exec only once
    /// `fcntl` has marked it, and a child spawned in between would hold another child's stdin open.
    private static let spawning = Mutex(())

    /// Spawns `path` in a group of its own with a pipe on its stdin and one on its stderr; returns
    /// its pid and our ends of the pipes, or nil (with `errno` set).
    private static func spawn(
        _ path: String,
        _ arguments: [UnsafeMutablePointer<CChar>?],
        _ variables: [UnsafeMutablePointer<CChar>?]
    ) -> (pid_t, stdin: Int32, stderr: Int32)? {
        spawning.withLock { _ -> (pid_t, stdin: Int32, stderr: Int32)? in
            var inPipe: [Int32] = [-1, -1]
            var errPipe: [Int32] = [-1, -1]
            guard pipe(&inPipe) == 0 else { return nil }
            guard pipe(&errPipe) == 0 else {
                close(inPipe[0])
                close(inPipe[1])
                return nil
            }
            for descriptor in inPipe + errPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            // Its own group, every signal at its default (the daemon ignores SIGPIPE), none blocked.
            posix_spawnattr_setflags(
                &attributes,
                Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
            )
            posix_spawnattr_setpgroup(&attributes, 0)
            var all = sigset_t()
            sigfillset(&all)
            posix_spawnattr_setsigdefault(&attributes, &all)
            var none = sigset_t()
            sigemptyset(&none)
            posix_spawnattr_setsigmask(&attributes, &none)
            var pid: pid_t = 0
            let spawned = posix_spawn(&pid, path, &actions, &attributes, arguments, variables)
            close(inPipe[0])
            close(errPipe[1])
            guard spawned == 0 else {
                close(inPipe[1])
                close(errPipe[0])
                errno = spawned
                return nil
            }
            return (pid, inPipe[1], errPipe[0])
        }
    }

    /// The wait status of `pid`, waited for on a thread of its own (waitpid blocks).
    private static func wait(for pid: pid_t) async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                continuation.resume(returning: status)
            }
        }
    }

    private static func error(_ code: Int32) -> String { String(cString: strerror(code)) }
}
