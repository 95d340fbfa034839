import RunModel

/// The `alerts` object of the configuration: where events go besides the journal, and how long
/// they are kept (README, "Alerts").
package struct AlertsConfiguration: Sendable, Equatable {
    package var sinks: [AlertSinkConfiguration] = []
    /// Events older than this are deleted, delivered or not.
    package var eventRetentionDays: Double = 90
    /// How long a webhook sink keeps retrying an event before it gives up.
    package var webhookRetryHours: Double = 24
    /// How often the health checks run.
    package var healthCheckIntervalSeconds: Double = 60
    /// How long past its own timeout a run is `run_stuck`, when its task or Actor sets no
    /// `maxRunSeconds`.
    package var runStuckGraceSeconds: Double = 600

    package init(sinks: [AlertSinkConfiguration] = []) {
        self.sinks = sinks
    }

    static let keys: Set<String> = [
        "sinks", "eventRetentionDays", "webhookRetryHours", "healthCheckIntervalSeconds", "runStuckGraceSeconds",
    ]

    /// Validates the `alerts` object; `fail` names the key in errors.
    static func parse(
        _ value: JSONValue,
        fail: (String?, String) -> ConfigurationError
    ) throws(ConfigurationError) -> AlertsConfiguration {
        guard case .object(let object) = value else { throw fail("alerts", "must be an object with \"sinks\"") }
        if let unknown = object.keys.filter({ !keys.contains($0) }).sorted().first {
            throw fail("alerts.\(unknown)", "unknown key; the keys are \(keys.sorted().joined(separator: ", "))")
        }
        var alerts = AlertsConfiguration()
        func number(_ key: String, minimum: Double, maximum: Double) throws(ConfigurationError) -> Double? {
            guard let value = object[key], value != .null else { return nil }
            guard case .number(let number) = value, number.isFinite, number >= minimum, number <= maximum else {
                throw fail("alerts.\(key)", "must be a number from \(Int(minimum)) to \(Int(maximum))")
            }
            return number
        }
        alerts.eventRetentionDays =
            try number("eventRetentionDays", minimum: 1, maximum: 3650) ?? alerts.eventRetentionDays
        alerts.webhookRetryHours = try number("webhookRetryHours", minimum: 0, maximum: 720) ?? alerts.webhookRetryHours
        alerts.healthCheckIntervalSeconds =
            try number("healthCheckIntervalSeconds", minimum: 1, maximum: 3600) ?? alerts.healthCheckIntervalSeconds
        alerts.runStuckGraceSeconds =
            try number("runStuckGraceSeconds", minimum: 0, maximum: 86_400) ?? alerts.runStuckGraceSeconds
        guard let sinks = object["sinks"], sinks != .null else { return alerts }
        guard case .array(let list) = sinks else { throw fail("alerts.sinks", "must be an array of sink objects") }
        var names: Set<String> = [AlertSinkConfiguration.journalName]
        for (index, entry) in list.enumerated() {
            let sink = try AlertSinkConfiguration.parse(entry, key: "alerts.sinks[\(index)]", fail: fail)
            guard names.insert(sink.name).inserted else {
                throw fail(
                    "alerts.sinks[\(index)].name",
                    "\(sink.name.debugDescription) is taken: every sink needs its own name (\"journal\" is built in)"
                )
            }
            alerts.sinks.append(sink)
        }
        return alerts
    }
}
