import Daemon
import Foundation
import TestSupport
import Testing

/// `caFile`: a corporate CA beside the system's, checked when the file is loaded.
@Suite struct CertificateAuthorityConfigurationTests {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory() }

    private func load(caFile: String) throws(ConfigurationError) -> Configuration {
        let path = directory.path("config.json")
        let json = #"{"database":"runs.db","tasks":["a"],"caFile":"\#(caFile)"}"#
        try? Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return try Configuration.load(path: path)
    }

    @Test func aMissingOrNonPEMFileIsRefusedNamingTheKey() throws {
        let missing = directory.path("nope.pem")
        #expect(throws: ConfigurationError.self) { try load(caFile: missing) }
        do {
            _ = try load(caFile: missing)
        } catch {
            #expect(error.key == "caFile" && error.message.contains("does not exist"), "\(error)")
        }
        try Data("just text\n".utf8).write(to: URL(fileURLWithPath: directory.path("text.pem")))
        do {
            _ = try load(caFile: "text.pem")
            Issue.record("a file without a certificate was accepted")
        } catch {
            #expect(error.key == "caFile" && error.message.contains("no PEM certificate"), "\(error)")
            #expect(error.description.contains(directory.path("config.json")))
        }
    }

    @Test func aPEMFileIsTrustedAndRelativeToTheConfiguration() async throws {
        let certificate = try await TestCertificate.make(in: directory)
        let configuration = try load(caFile: "ca.pem")
        #expect(configuration.caFile == certificate.certificatePath)
        #expect(try configuration.trustedCertificates()?.certificates.count == 1)
        let none = try Configuration.parse(Data(#"{"database":"x","tasks":["a"]}"#.utf8), path: "/c.json")
        #expect(try none.trustedCertificates() == nil)
    }
}
