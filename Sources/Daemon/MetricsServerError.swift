/// The metrics endpoint could not listen where `metricsListen` says: a configuration error, which
/// restarting will not fix (exit 78).
package struct MetricsServerError: Error, CustomStringConvertible, Sendable {
    package var address: ListenAddress
    package var reason: String

    package var description: String { "\"metricsListen\" \(address): cannot listen there: \(reason)" }
}
