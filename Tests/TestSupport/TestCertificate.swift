import Foundation

/// A self-signed certificate for 127.0.0.1 and localhost, made by the `openssl` command into a
/// directory: the certificate is its own CA, so trusting its file trusts the server.
package struct TestCertificate: Sendable {
    package let certificatePath: String
    package let keyPath: String

    package var certificatePEM: [UInt8] { Array(FileManager.default.contents(atPath: certificatePath) ?? Data()) }
    package var keyPEM: [UInt8] { Array(FileManager.default.contents(atPath: keyPath) ?? Data()) }

    package static func make(in directory: TemporaryDirectory) async throws -> TestCertificate {
        let certificate = TestCertificate(certificatePath: directory.path("ca.pem"), keyPath: directory.path("key.pem"))
        let openssl = try await ExternalCommand.run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", certificate.keyPath, "-out", certificate.certificatePath, "-days", "2",
            "-subj", "/CN=apify-runs-sync test CA", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ])
        guard openssl.status == 0 else { throw TestCertificateError.opensslFailed(openssl.status) }
        return certificate
    }
}
