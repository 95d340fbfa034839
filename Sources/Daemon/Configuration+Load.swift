import ApifyAPI
import Foundation

extension Configuration {
    /// Reads and validates the file at `path`, and the files it names that the daemon cannot start
    /// without checking (the `caFile`).
    package static func load(path: String) throws(ConfigurationError) -> Configuration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "it cannot be read" : "it does not exist"
            throw ConfigurationError(path: path, key: nil, message: "\(reason); pass --config PATH")
        }
        let configuration = try parse(data, path: path)
        _ = try configuration.trustedCertificates()
        return configuration
    }

    /// The certificates of `caFile`, nil when there is none; a file that is missing or not PEM is a
    /// configuration error naming the key.
    package func trustedCertificates() throws(ConfigurationError) -> TrustedCertificates? {
        guard let caFile else { return nil }
        do {
            return try TrustedCertificates.load(pemFile: caFile)
        } catch {
            throw ConfigurationError(
                path: path,
                key: "caFile",
                message: "\(error.message): give a PEM file of CA certificates"
            )
        }
    }
}
