import Foundation

/// What `GET /v2/actor-runs/:runId` tells beyond a list item: why the run ended, and what it used.
package struct RunDetails: Sendable, Equatable {
    package var status: String?
    /// The Actor's last status message ("Actor timed out after 3600 s", "Error: selector not found").
    package var statusMessage: String?
    package var exitCode: Int?
    /// `status`, `stats`, `usage`, `usageUsd` and `options` of the run, as one JSON object (absent keys
    /// left out): the status tells which state of the run the rest describes.
    package var detailsJSON: String?
    /// `options.timeoutSecs`: how long the run may last.
    package var timeoutSeconds: Double?

    package init(
        status: String? = nil,
        statusMessage: String? = nil,
        exitCode: Int? = nil,
        detailsJSON: String? = nil,
        timeoutSeconds: Double? = nil
    ) {
        self.status = status
        self.statusMessage = statusMessage
        self.exitCode = exitCode
        self.detailsJSON = detailsJSON
        self.timeoutSeconds = timeoutSeconds
    }

    /// Decodes `{"data":{…}}` leniently: a field of an unexpected type is left out, not an error.
    /// Throws only when the body is not a JSON object with a `data` object.
    package static func decode(from body: [UInt8]) throws -> RunDetails {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let data = object["data"] as? [String: Any]
        else {
            throw JSONScanError(message: "the response has no \"data\" object", offset: 0)
        }
        var details = RunDetails()
        details.status = data["status"] as? String
        details.statusMessage = data["statusMessage"] as? String
        details.exitCode = data["exitCode"] as? Int
        let kept = data.filter {
            ["status", "stats", "usage", "usageUsd", "options"].contains($0.key) && !($0.value is NSNull)
        }
        if !kept.isEmpty, JSONSerialization.isValidJSONObject(kept) {
            let encoded = try JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys])
            details.detailsJSON = String(decoding: encoded, as: UTF8.self)
        }
        details.timeoutSeconds = ((data["options"] as? [String: Any])?["timeoutSecs"] as? NSNumber)?.doubleValue
        return details
    }
}
