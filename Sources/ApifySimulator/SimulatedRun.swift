import RunModel

/// A run in the simulator's world, rendered to JSON in the shapes the real API uses.
package struct SimulatedRun: Sendable, Equatable {
    package var id: String
    /// nil for a run started from its Actor directly, which renders `"actorTaskId":null`.
    package var taskId: String?
    package var actId: String
    package var userId: String
    package var status: String
    /// nil renders `"startedAt":null`, which the specification rules out but a lenient client must survive.
    package var startedAtMs: Int64?
    package var finishedAtMs: Int64?
    package var buildNumber: String
    package var origin: String
    package var usageTotalUsd: Double
    /// Left out of every list while not final, though `GET /v2/actor-runs/:id` serves it: the run then
    /// appears in lists only once finished, at its `startedAt` place, behind runs a poller has read past.
    package var hiddenWhileUnfinished = false
    /// Sub-identifiers derived from the id, for the storage ids.
    package var storageSuffix: String { String(id.prefix(12)) }

    package var isFinal: Bool { RunStatus.isFinal(status) }

    /// The list item (`RunShort`), as the run lists return it.
    package func renderShort(into out: inout [UInt8]) {
        out.append(contentsOf: #"{"id":""#.utf8)
        out.append(contentsOf: id.utf8)
        out.append(contentsOf: #"","actId":""#.utf8)
        out.append(contentsOf: actId.utf8)
        out.append(contentsOf: #"","userId":""#.utf8)
        out.append(contentsOf: userId.utf8)
        if let taskId {
            out.append(contentsOf: #"","actorTaskId":""#.utf8)
            out.append(contentsOf: taskId.utf8)
            out.append(contentsOf: #"","status":""#.utf8)
        } else {
            out.append(contentsOf: #"","actorTaskId":null,"status":""#.utf8)
        }
        out.append(contentsOf: status.utf8)
        out.append(contentsOf: #"","startedAt":"#.utf8)
        Self.appendTimestamp(startedAtMs, to: &out)
        out.append(contentsOf: #","finishedAt":"#.utf8)
        Self.appendTimestamp(finishedAtMs, to: &out)
        out.append(contentsOf: #","buildId":"B"#.utf8)
        out.append(contentsOf: storageSuffix.utf8)
        out.append(contentsOf: #"","buildNumber":""#.utf8)
        out.append(contentsOf: buildNumber.utf8)
        out.append(contentsOf: #"","buildNumberInt":"#.utf8)
        out.append(contentsOf: String(buildNumber.split(separator: ".").last ?? "0").utf8)
        out.append(contentsOf: #","meta":{"origin":""#.utf8)
        out.append(contentsOf: origin.utf8)
        out.append(contentsOf: #"","userAgent":"ApifyClient/2.9.0 (linux; Node/v20.11.0)"},"usageTotalUsd":"#.utf8)
        out.append(contentsOf: String(usageTotalUsd).utf8)
        out.append(contentsOf: #","defaultKeyValueStoreId":"K"#.utf8)
        out.append(contentsOf: storageSuffix.utf8)
        out.append(contentsOf: #"","defaultDatasetId":"D"#.utf8)
        out.append(contentsOf: storageSuffix.utf8)
        out.append(contentsOf: #"","defaultRequestQueueId":"Q"#.utf8)
        out.append(contentsOf: storageSuffix.utf8)
        out.append(contentsOf: #""}"#.utf8)
    }

    /// The full run object of `GET /v2/actor-runs/:runId`: the list item's fields and more.
    package func renderFull(into out: inout [UInt8]) {
        renderShort(into: &out)
        out.removeLast()  // the closing brace
        let exitCode = status == "SUCCEEDED" ? "0" : (isFinal ? "1" : "null")
        let message =
            switch status {
            case "SUCCEEDED": "Finished!"
            case "FAILED": "The Actor process exited with code 1"
            case "TIMED-OUT": "Timed out"
            case "ABORTED": "Aborted by user"
            default: "Crawled 12 of 40 pages"
            }
        out.append(contentsOf: #","statusMessage":""#.utf8)
        out.append(contentsOf: message.utf8)
        out.append(contentsOf: #"","isStatusMessageTerminal":"#.utf8)
        out.append(contentsOf: (isFinal ? "true" : "false").utf8)
        out.append(contentsOf: #","exitCode":"#.utf8)
        out.append(contentsOf: exitCode.utf8)
        out.append(
            contentsOf: #","stats":{"inputBodyLen":240,"restartCount":0,"resurrectCount":0,"computeUnits":"#.utf8
        )
        out.append(contentsOf: String(usageTotalUsd * 2.5).utf8)
        out.append(
            contentsOf: #"},"options":{"build":"latest","timeoutSecs":3600,"memoryMbytes":1024,"diskMbytes":2048}"#.utf8
        )
        out.append(contentsOf: #","containerUrl":"https://"#.utf8)
        out.append(contentsOf: storageSuffix.lowercased().utf8)
        out.append(contentsOf: #".runs.apify.net"}"#.utf8)
    }

    /// A quoted timestamp, or `null`.
    private static func appendTimestamp(_ milliseconds: Int64?, to out: inout [UInt8]) {
        guard let milliseconds else {
            out.append(contentsOf: "null".utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        ISOTimestamp.append(milliseconds, to: &out)
        out.append(UInt8(ascii: "\""))
    }
}
