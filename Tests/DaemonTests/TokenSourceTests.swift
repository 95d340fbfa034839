import ApifyAPI
import Daemon
import Foundation
import RunModel
import TestSupport
import Testing

@Suite struct TokenSourceTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    private func configuration(_ extra: String) throws -> Configuration {
        let path = directory.path("config.json")
        try Data(#"{"database":"x.db","tasks":["a"]\#(extra)}"#.utf8).write(to: URL(fileURLWithPath: path))
        return try Configuration.load(path: path)
    }

    @Test func precedenceIsTokenThenFileThenEnvironmentThenCredential() throws {
        let tokenFile = directory.path("token")
        try Data("from-file-0123456789\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let credentials = directory.path("creds")
        try FileManager.default.createDirectory(atPath: credentials, withIntermediateDirectories: true)
        try Data("from-credential-0123456789".utf8).write(to: URL(fileURLWithPath: credentials + "/apify-token"))
        let environment = ["APIFY_TOKEN": "from-env-0123456789", "CREDENTIALS_DIRECTORY": credentials]

        let all = try configuration(#","token":"from-config-0123456789","tokenFile":"token""#)
        #expect(try TokenSource.resolve(all, environment: environment).secret == "from-config-0123456789")
        let file = try configuration(#","tokenFile":"token""#)
        let fromFile = try TokenSource.resolve(file, environment: environment)
        #expect(fromFile.secret == "from-file-0123456789")
        #expect(fromFile.source == "the file \(tokenFile)")
        let none = try configuration("")
        #expect(try TokenSource.resolve(none, environment: environment).secret == "from-env-0123456789")
        #expect(
            try TokenSource.resolve(none, environment: ["CREDENTIALS_DIRECTORY": credentials]).secret
                == "from-credential-0123456789"
        )
        #expect(throws: ConfigurationError.self) { try TokenSource.resolve(none, environment: [:]) }
    }

    @Test func aTokenTooShortToBeOneIsRefused() throws {
        let configuration = try configuration(#","token":"t""#)
        #expect {
            try TokenSource.resolve(configuration, environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == "token" && "\(error)".contains("1 characters long")
                && "\(error)".contains("at least 16")
        }
        let sixteen = try self.configuration(#","token":"0123456789abcdef""#)
        #expect(try TokenSource.resolve(sixteen, environment: [:]).secret.count == 16)
    }

    @Test func anUnreadableTokenFileIsAConfigurationError() throws {
        let configuration = try configuration(#","tokenFile":"missing""#)
        #expect {
            try TokenSource.resolve(configuration, environment: [:])
        } throws: { error in
            (error as? ConfigurationError)?.key == "tokenFile" && "\(error)".contains(directory.path("missing"))
        }
    }

    @Test func aWorldReadableConfigHoldingATokenIsFlagged() throws {
        let configuration = try configuration(#","token":"secret""#)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: configuration.path)
        #expect(TokenSource.exposedFile(configuration) == configuration.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: configuration.path)
        #expect(TokenSource.exposedFile(configuration) == nil)
        // A token file is held to the same rule.
        let tokenFile = directory.path("token")
        try Data("0123456789abcdef".utf8).write(to: URL(fileURLWithPath: tokenFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: tokenFile)
        let withFile = try self.configuration(#","tokenFile":"token""#)
        #expect(TokenSource.exposedFile(withFile) == tokenFile)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenFile)
        #expect(TokenSource.exposedFile(withFile) == nil)
        let withoutToken = try self.configuration("")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: withoutToken.path)
        #expect(TokenSource.exposedFile(withoutToken) == nil)
    }
}
