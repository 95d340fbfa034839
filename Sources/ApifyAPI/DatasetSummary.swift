import Foundation

/// What the daemon reads of a dataset (`GET /v2/datasets/:datasetId`): how many items it holds.
package struct DatasetSummary: Sendable, Equatable {
    package var itemCount: Int

    package init(itemCount: Int) {
        self.itemCount = itemCount
    }

    /// Decodes `{"data":{"itemCount":…}}`; throws when there is no whole `itemCount`.
    package static func decode(from body: [UInt8]) throws -> DatasetSummary {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let data = object["data"] as? [String: Any], let count = data["itemCount"] as? Int, count >= 0
        else {
            throw JSONScanError(message: "the response has no \"data\" object with an \"itemCount\"", offset: 0)
        }
        return DatasetSummary(itemCount: count)
    }
}
