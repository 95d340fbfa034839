import ApifyAPI
import Foundation

/// Finds the API token: the config's `token`, else `tokenFile`, else `APIFY_TOKEN`, else the systemd
/// credential `$CREDENTIALS_DIRECTORY/apify-token`. Files are read, never written.
package enum TokenSource {
    package static let credentialName = "apify-token"

    package static func resolve(
        _ configuration: Configuration,
        environment: [String: String]
    ) throws(ConfigurationError)
        -> APIToken
    {
        if let token = configuration.token {
            return try validated(token, source: "the \"token\" key of \(configuration.path)", configuration)
        }
        if let file = configuration.tokenFile {
            return try validated(
                try read(file, configuration, key: "tokenFile"),
                source: "the file \(file)",
                configuration
            )
        }
        if let token = environment["APIFY_TOKEN"], !token.isEmpty {
            return try validated(token, source: "the environment variable APIFY_TOKEN", configuration)
        }
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            let file = (directory as NSString).appendingPathComponent(credentialName)
            if FileManager.default.fileExists(atPath: file) {
                return try validated(
                    try read(file, configuration, key: nil),
                    source: "the systemd credential \(credentialName)",
                    configuration
                )
            }
        }
        throw ConfigurationError(
            path: configuration.path,
            key: "token",
            message: "no API token found: set \"token\" or \"tokenFile\", the environment variable APIFY_TOKEN, "
                + "or the systemd credential \(credentialName) (LoadCredential=)"
        )
    }

    private static func read(
        _ file: String,
        _ configuration: Configuration,
        key: String?
    ) throws(ConfigurationError) -> String {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8)
        else {
            throw ConfigurationError(
                path: configuration.path,
                key: key,
                message: "the token file \(file) cannot be read"
            )
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func validated(
        _ token: String,
        source: String,
        _ configuration: Configuration
    ) throws(ConfigurationError)
        -> APIToken
    {
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw ConfigurationError(
                path: configuration.path,
                key: "token",
                message: "the token from \(source) is empty"
            )
        }
        guard trimmed.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) else {
            throw ConfigurationError(
                path: configuration.path,
                key: "token",
                message: "the token from \(source) contains spaces or characters a token cannot have"
            )
        }
        // Apify's tokens are far longer; a short one is a mistake, and redacting it from messages
        // would mangle ordinary words.
        guard trimmed.count >= minimumLength else {
            throw ConfigurationError(
                path: configuration.path,
                key: "token",
                message: "the token from \(source) is \(trimmed.count) characters long; an API token has at least "
                    + "\(minimumLength): check that it was copied whole"
            )
        }
        return APIToken(secret: trimmed, source: source)
    }

    /// The shortest token accepted.
    package static let minimumLength = 16

    /// The file holding the token (the configuration with a `token`, or the `tokenFile`) when users
    /// other than its owner and group can read it; nil otherwise.
    package static func exposedFile(_ configuration: Configuration) -> String? {
        let file = configuration.token != nil ? configuration.path : configuration.tokenFile
        guard let file, let attributes = try? FileManager.default.attributesOfItem(atPath: file),
            let permissions = attributes[.posixPermissions] as? NSNumber, permissions.intValue & 0o004 != 0
        else { return nil }
        return file
    }
}
