import ApifyAPI
import ArgumentParser
import Daemon
import Foundation
import Logging

/// Options every command that reads the configuration takes.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "The configuration file.")
    var config = "/etc/apify-runs-sync/config.json"

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Option(name: .long, help: "text (key=value) or json (one object per line).")
    var logFormat: LineLogHandler.Format = .text

    /// Installs the line handler on stderr (journal-aware) and returns the program's logger.
    func bootstrapLogging() -> Logger {
        let format = logFormat
        let level = logLevel
        let journal = LineLogHandler.stderrIsJournal()
        LoggingSystem.bootstrap { _ in LineLogHandler(format: format, level: level, toJournal: journal) }
        return Logger(label: "apify-runs-sync")
    }

    /// Loads the configuration, or exits with EX_CONFIG (78) saying what is wrong.
    func loadConfiguration(logger: Logger) throws -> Configuration {
        do {
            let configuration = try Configuration.load(path: config)
            if configuration.sendsTokenInClear {
                logger.warning(
                    "the API is reached over plain HTTP on another machine: the token crosses the network in clear",
                    metadata: ["event": "insecure_http", "api": "\(configuration.apiBaseUrl)", "config": "\(config)"]
                )
            }
            return configuration
        } catch {
            logger.critical("invalid configuration", metadata: ["event": "config_error", "error": "\(error)"])
            throw ExitCode(ExitStatus.configuration)
        }
    }

    /// The proxy the API is reached through (from `HTTPS_PROXY`, `NO_PROXY`, …), or exits with
    /// EX_CONFIG (78) when a proxy variable cannot be used.
    func resolveProxy(_ configuration: Configuration, logger: Logger) throws -> HTTPProxy? {
        do {
            let proxy = try configuration.proxy(environment: ProcessInfo.processInfo.environment)
            logger.debug(
                "proxy",
                metadata: [
                    "event": "proxy", "api": "\(configuration.apiBaseUrl)", "proxy": "\(proxy?.description ?? "none")",
                ]
            )
            return proxy
        } catch {
            logger.critical("invalid proxy", metadata: ["event": "config_error", "error": "\(error)"])
            throw ExitCode(ExitStatus.configuration)
        }
    }

    /// Loads the configuration and the token, or exits with EX_CONFIG (78) saying what is wrong.
    func loadConfigurationAndToken(logger: Logger) throws -> (Configuration, APIToken) {
        let configuration = try loadConfiguration(logger: logger)
        _ = try resolveProxy(configuration, logger: logger)
        do {
            let token = try TokenSource.resolve(configuration, environment: ProcessInfo.processInfo.environment)
            if let file = TokenSource.exposedFile(configuration) {
                logger.warning(
                    "the file holding the API token is readable by other users",
                    metadata: ["event": "config_token_exposed", "file": "\(file)", "fix": "chmod 640 \(file)"]
                )
            }
            return (configuration, token)
        } catch {
            logger.critical("invalid configuration", metadata: ["event": "config_error", "error": "\(error)"])
            throw ExitCode(ExitStatus.configuration)
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LineLogHandler.Format: ExpressibleByArgument {}

/// Exit statuses, from sysexits(3) where one fits; systemd's unit does not restart on `configuration`.
enum ExitStatus {
    static let failure: Int32 = 1
    /// EX_CONFIG: the configuration (or the database file it names) is wrong; retrying will not help.
    static let configuration: Int32 = 78
    /// EX_TEMPFAIL: another instance holds the database.
    static let locked: Int32 = 75
}
