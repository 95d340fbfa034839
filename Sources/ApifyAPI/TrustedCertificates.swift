import Foundation
import NIOSSL

/// Certificate authorities trusted beside the system's (a corporate CA that re-signs HTTPS, say),
/// read from a PEM file.
package struct TrustedCertificates: Sendable {
    package let certificates: [NIOSSLCertificate]

    /// Why a PEM file cannot be used, in words for a configuration error.
    package struct LoadError: Error, Equatable, CustomStringConvertible, Sendable {
        package var message: String
        package var description: String { message }
    }

    /// Reads every certificate of a PEM file; fails when the file is missing or unreadable, or holds
    /// no certificate that parses.
    package static func load(pemFile path: String) throws(LoadError) -> TrustedCertificates {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw LoadError(message: "the file \(path) \(reason)")
        }
        guard data.range(of: Data("-----BEGIN CERTIFICATE-----".utf8)) != nil else {
            throw LoadError(message: "the file \(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(Array(data))
        } catch {
            throw LoadError(message: "the file \(path) is not a valid PEM file of certificates")
        }
        guard !certificates.isEmpty else {
            throw LoadError(message: "the file \(path) is not a valid PEM file of certificates")
        }
        return TrustedCertificates(certificates: certificates)
    }
}
