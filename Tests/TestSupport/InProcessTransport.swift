import ApifyAPI
import ApifySimulator
import Synchronization

/// An `APITransport` that hands each request straight to a simulated world it owns: the simulator's
/// answers, queued faults and imperfections, without a socket, a port or a wait, so that tests of the
/// client and the engine run fast and need no network. Delays are not waited for: one that reaches
/// the request's timeout is a timeout, reported at once.
package final class InProcessTransport: APITransport {
    private let world: Mutex<SimulatedWorld>
    /// Requests matched by a hold, counted, and the gate they wait at from the given number on.
    private let holds = Mutex<
        [(from: Int, seen: Int, matches: @Sendable (String, [String: String]) -> Bool, gate: RequestGate)]
    >([])

    package init(token: String, seed: UInt64 = 1) {
        world = Mutex(SimulatedWorld(token: token, seed: seed))
    }

    /// Reads or changes the world, as `ApifySimulator.withWorld` does.
    @discardableResult
    package func withWorld<T>(_ body: (inout SimulatedWorld) throws -> T) rethrows -> T {
        try world.withLock { try body(&$0) }
    }

    /// Holds the requests whose path and query `matches`, from the `from`-th of them on (1 is the
    /// first), until the returned gate is opened; the earlier ones are answered at once.
    package func hold(
        from: Int,
        matching matches: @escaping @Sendable (_ path: String, _ query: [String: String]) -> Bool
    ) -> RequestGate {
        let gate = RequestGate()
        holds.withLock { $0.append((from, 0, matches, gate)) }
        return gate
    }

    package func get(
        url: String,
        headers: [(name: String, value: String)],
        timeout: Duration,
        maximumBodyBytes: Int
    ) async -> APITransportOutcome {
        let (path, query) = SimulatedWorld.split(requestTarget: Self.requestTarget(of: url))
        let gates = holds.withLock { holds -> [RequestGate] in
            var gates: [RequestGate] = []
            for index in holds.indices where holds[index].matches(path, query) {
                holds[index].seen += 1
                if holds[index].seen >= holds[index].from { gates.append(holds[index].gate) }
            }
            return gates
        }
        for gate in gates { await gate.pass() }
        let authorization = headers.first { $0.name.lowercased() == "authorization" }?.value
        let exchange = withWorld {
            $0.serve(method: "GET", path: path, query: query, authorization: authorization)
        }
        guard case .answer(let response, let delay) = exchange else { return .failed("connection reset by peer") }
        guard delay < timeout else { return .timedOut(after: timeout) }
        guard response.body.count <= maximumBodyBytes else { return .tooLarge }
        let responseHeaders =
            [(name: "Content-Type", value: response.contentType)]
            + response.headers.map { (name: $0.0, value: $0.1) }
        return .response(status: response.status, headers: responseHeaders, body: response.body)
    }

    /// `/v2/x?y` from `http://host:port/v2/x?y`.
    private static func requestTarget(of url: String) -> String {
        let afterScheme = url.firstRange(of: "://").map { url[$0.upperBound...] } ?? url[...]
        return afterScheme.firstIndex(of: "/").map { String(afterScheme[$0...]) } ?? "/"
    }
}
