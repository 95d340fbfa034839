import RunModel

/// Turns response bodies into pages, runs and error descriptions.
///
/// Decoding is lenient about content (missing, null, mistyped and unknown fields are fine) and
/// strict about form: anything that is not valid JSON of the expected shape is an error that says
/// where it went wrong.
package enum ResponseDecoder {
    /// Where `bytes` first stop being one JSON value (RFC 8259), or nil when they are one: for
    /// messages that name the line and column of a broken file.
    package static func syntaxError(in bytes: [UInt8]) -> JSONScanError? {
        bytes.withUnsafeBufferPointer { buffer -> JSONScanError? in
            var scanner = JSONScanner(buffer)
            do throws(JSONScanError) {
                try scanner.skipValue()
                try scanner.expectEnd()
                return nil
            } catch {
                return error
            }
        }
    }

    /// Decodes `{"data":{"total",…,"items":[…]}}`.
    package static func runListPage(from body: [UInt8]) throws(JSONScanError) -> RunListPage {
        try body.withUnsafeBufferPointer { (buffer) throws(JSONScanError) -> RunListPage in
            var scanner = JSONScanner(buffer)
            var page: RunListPage?
            try scanner.readObject { (scanner, key) throws(JSONScanError) in
                guard key.equals("data", in: buffer) else { return try scanner.skipValue() }
                page = try readPage(&scanner, body: body)
            }
            try scanner.expectEnd()
            guard let page else { throw JSONScanError(message: "the response has no \"data\" object", offset: 0) }
            return page
        }
    }

    /// Decodes `{"data":{run}}` of `GET /v2/actor-runs/:runId`.
    package static func run(from body: [UInt8]) throws(JSONScanError) -> RunRecord {
        try body.withUnsafeBufferPointer { (buffer) throws(JSONScanError) -> RunRecord in
            var scanner = JSONScanner(buffer)
            var run: RunRecord?
            try scanner.readObject { (scanner, key) throws(JSONScanError) in
                guard key.equals("data", in: buffer) else { return try scanner.skipValue() }
                run = try readRun(&scanner, body: body)
            }
            try scanner.expectEnd()
            guard let run else { throw JSONScanError(message: "the response has no \"data\" object", offset: 0) }
            return run
        }
    }

    /// Decodes `{"data":{"id","name","username",…}}`, as `GET /v2/actor-tasks/:actorTaskId` and
    /// `GET /v2/actors/:actorId` return it.
    package static func resource(from body: [UInt8]) throws(JSONScanError) -> ResourceSummary {
        try body.withUnsafeBufferPointer { (buffer) throws(JSONScanError) -> ResourceSummary in
            var scanner = JSONScanner(buffer)
            var resource: ResourceSummary?
            try scanner.readObject { (scanner, key) throws(JSONScanError) in
                guard key.equals("data", in: buffer) else { return try scanner.skipValue() }
                resource = try readResource(&scanner)
            }
            try scanner.expectEnd()
            guard let resource else {
                throw JSONScanError(message: "the response has no \"data\" object with an \"id\"", offset: 0)
            }
            return resource
        }
    }

    /// Decodes `{"data":{"total",…,"items":[{task},…]}}` of `GET /v2/actor-tasks`.
    package static func taskListPage(from body: [UInt8]) throws(JSONScanError) -> TaskListPage {
        try body.withUnsafeBufferPointer { (buffer) throws(JSONScanError) -> TaskListPage in
            var scanner = JSONScanner(buffer)
            var page: TaskListPage?
            try scanner.readObject { (scanner, key) throws(JSONScanError) in
                guard key.equals("data", in: buffer) else { return try scanner.skipValue() }
                var total: Int?
                var items: [ResourceSummary]?
                try scanner.readObject { (scanner, key) throws(JSONScanError) in
                    if key.equals("items", in: buffer) {
                        guard scanner.peek() == UInt8(ascii: "[") else {
                            throw scanner.error("\"data.items\" is not an array")
                        }
                        var read: [ResourceSummary] = []
                        try scanner.readArray { (scanner) throws(JSONScanError) in
                            let start = scanner.position
                            guard let task = try readResource(&scanner) else {
                                throw JSONScanError(message: "a task has no string \"id\"", offset: start)
                            }
                            read.append(task)
                        }
                        items = read
                    } else if key.equals("total", in: buffer) {
                        total = try scanner.readOptionalInteger()
                    } else {
                        try scanner.skipValue()
                    }
                }
                guard let items else { throw scanner.error("\"data\" has no \"items\" array") }
                page = TaskListPage(total: total, items: items)
            }
            try scanner.expectEnd()
            guard let page else { throw JSONScanError(message: "the response has no \"data\" object", offset: 0) }
            return page
        }
    }

    /// Reads a task or Actor object; nil when it has no non-empty string `id`.
    private static func readResource(_ scanner: inout JSONScanner) throws(JSONScanError) -> ResourceSummary? {
        let buffer = scanner.bytes
        guard scanner.peek() == UInt8(ascii: "{") else { throw scanner.error("expected an object") }
        var resource = ResourceSummary(id: "")
        try scanner.readObject { (scanner, key) throws(JSONScanError) in
            if key.equals("id", in: buffer) {
                resource.id = try scanner.readOptionalString() ?? ""
            } else if key.equals("name", in: buffer) {
                resource.name = try scanner.readOptionalString()
            } else if key.equals("username", in: buffer) {
                resource.username = try scanner.readOptionalString()
            } else if key.equals("actId", in: buffer) {
                resource.actId = try scanner.readOptionalString()
            } else {
                try scanner.skipValue()
            }
        }
        return resource.id.isEmpty ? nil : resource
    }

    /// The `error.type` and `error.message` of an Apify error body, when the body is one.
    package static func apiError(from body: [UInt8]) -> (type: String?, message: String?)? {
        body.withUnsafeBufferPointer { buffer -> (type: String?, message: String?)? in
            var scanner = JSONScanner(buffer)
            var type: String?
            var message: String?
            var found = false
            do {
                try scanner.readObject { (scanner, key) throws(JSONScanError) in
                    guard key.equals("error", in: buffer), scanner.peek() == UInt8(ascii: "{") else {
                        return try scanner.skipValue()
                    }
                    found = true
                    try scanner.readObject { (scanner, key) throws(JSONScanError) in
                        if key.equals("type", in: buffer) {
                            type = try scanner.readOptionalString()
                        } else if key.equals("message", in: buffer) {
                            message = try scanner.readOptionalString()
                        } else {
                            try scanner.skipValue()
                        }
                    }
                }
                try scanner.expectEnd()
            } catch {
                return nil
            }
            return found ? (type, message) : nil
        }
    }

    private static func readPage(_ scanner: inout JSONScanner, body: [UInt8]) throws(JSONScanError) -> RunListPage {
        let buffer = scanner.bytes
        var page = RunListPage(items: [])
        var sawItems = false
        try scanner.readObject { (scanner, key) throws(JSONScanError) in
            if key.equals("items", in: buffer) {
                guard scanner.peek() == UInt8(ascii: "[") else {
                    throw scanner.error("\"data.items\" is not an array")
                }
                sawItems = true
                page.items.reserveCapacity(1000)
                try scanner.readArray { (scanner) throws(JSONScanError) in
                    page.items.append(try readRun(&scanner, body: body))
                }
            } else if key.equals("total", in: buffer) {
                page.total = try scanner.readOptionalInteger()
            } else if key.equals("offset", in: buffer) {
                page.offset = try scanner.readOptionalInteger()
            } else if key.equals("limit", in: buffer) {
                page.limit = try scanner.readOptionalInteger()
            } else if key.equals("count", in: buffer) {
                page.count = try scanner.readOptionalInteger()
            } else if key.equals("desc", in: buffer) {
                page.desc = try scanner.readOptionalBool()
            } else {
                try scanner.skipValue()
            }
        }
        guard sawItems else { throw scanner.error("\"data\" has no \"items\" array") }
        return page
    }

    /// Reads one run object, keeping its byte range as the raw JSON.
    private static func readRun(_ scanner: inout JSONScanner, body: [UInt8]) throws(JSONScanError) -> RunRecord {
        let buffer = scanner.bytes
        guard scanner.peek() == UInt8(ascii: "{") else { throw scanner.error("a run is not a JSON object") }
        let start = scanner.position
        var run = RunRecord(id: "", status: "", rawJSON: [])
        var hasId = false
        var hasStatus = false
        try scanner.readObject { (scanner, key) throws(JSONScanError) in
            guard !key.hasEscapes, let field = RunField(key, in: buffer) else { return try scanner.skipValue() }
            switch field {
            case .id:
                if let id = try scanner.readOptionalString(), !id.isEmpty {
                    run.id = id
                    hasId = true
                }
            case .status:
                if let status = try scanner.readOptionalString(), !status.isEmpty {
                    run.status = status
                    hasStatus = true
                }
            case .actorTaskId: run.actorTaskId = try scanner.readOptionalString()
            case .actId: run.actId = try scanner.readOptionalString()
            case .userId: run.userId = try scanner.readOptionalString()
            case .startedAt: run.startedAt = try scanner.readOptionalString()
            case .finishedAt: run.finishedAt = try scanner.readOptionalString()
            case .buildId: run.buildId = try scanner.readOptionalString()
            case .buildNumber: run.buildNumber = try scanner.readOptionalString()
            case .usageTotalUsd: run.usageTotalUsd = try scanner.readOptionalNumber()
            case .defaultKeyValueStoreId: run.defaultKeyValueStoreId = try scanner.readOptionalString()
            case .defaultDatasetId: run.defaultDatasetId = try scanner.readOptionalString()
            case .defaultRequestQueueId: run.defaultRequestQueueId = try scanner.readOptionalString()
            case .meta:
                guard scanner.peek() == UInt8(ascii: "{") else { return try scanner.skipValue() }
                try scanner.readObject { (scanner, key) throws(JSONScanError) in
                    if key.equals("origin", in: buffer) {
                        run.origin = try scanner.readOptionalString()
                    } else {
                        try scanner.skipValue()
                    }
                }
            }
        }
        guard hasId else { throw JSONScanError(message: "a run has no string \"id\"", offset: start) }
        guard hasStatus else {
            throw JSONScanError(message: "run \(run.id) has no string \"status\"", offset: start)
        }
        run.rawJSON = body[start..<scanner.position]
        return run
    }
}

/// The run fields stored in columns, recognised by length first and then by bytes.
private enum RunField: CaseIterable {
    case id, status, actorTaskId, actId, userId, startedAt, finishedAt, buildId, buildNumber, usageTotalUsd
    case defaultKeyValueStoreId, defaultDatasetId, defaultRequestQueueId, meta

    var key: StaticString {
        switch self {
        case .id: "id"
        case .status: "status"
        case .actorTaskId: "actorTaskId"
        case .actId: "actId"
        case .userId: "userId"
        case .startedAt: "startedAt"
        case .finishedAt: "finishedAt"
        case .buildId: "buildId"
        case .buildNumber: "buildNumber"
        case .usageTotalUsd: "usageTotalUsd"
        case .defaultKeyValueStoreId: "defaultKeyValueStoreId"
        case .defaultDatasetId: "defaultDatasetId"
        case .defaultRequestQueueId: "defaultRequestQueueId"
        case .meta: "meta"
        }
    }

    init?(_ key: JSONString, in bytes: UnsafeBufferPointer<UInt8>) {
        for field in Self.allCases where key.equals(field.key, in: bytes) {
            self = field
            return
        }
        return nil
    }
}
