import ApifyAPI
import ArgumentParser
import AsyncHTTPClient
import Daemon
import Foundation
import Logging

/// `apify-runs-sync check-config`: the configuration, the token and every source, checked.
struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration, the token and that every source exists (one request each)."
    )

    @OptionGroup var options: CommonOptions

    @Option(
        help: ArgumentHelp(
            "Check the database directory as this user (default: apify-runs-sync when run as root and that user exists).",
            valueName: "USER"
        )
    )
    var asUser: String?

    /// The unit's `User=`.
    static let serviceUser = "apify-runs-sync"

    func run() async throws {
        let logger = options.bootstrapLogging()
        let (configuration, token) = try options.loadConfigurationAndToken(logger: logger)
        print(
            "configuration \(configuration.path): valid, \(configuration.sourceSummary), token from \(token.source)"
        )
        print("metrics: " + (configuration.metricsListen.map { "served at http://\($0)/metrics" } ?? "off"))
        var ok = checkDatabaseDirectory(configuration.database)
        let proxy = try options.resolveProxy(configuration, logger: logger)
        print("network: " + (proxy.map { "through the proxy \($0)" } ?? "direct, no proxy"))
        let trusted: TrustedCertificates?
        do {
            trusted = try configuration.trustedCertificates()
        } catch {
            logger.critical("invalid configuration", metadata: ["event": "config_error", "error": "\(error)"])
            throw ExitCode(ExitStatus.configuration)
        }
        if let trusted, let caFile = configuration.caFile {
            print("caFile \(caFile): \(trusted.certificates.count) certificate(s) trusted beside the system's")
        }
        // A check answers quickly: at most two retries, whatever the daemon's own setting.
        let (http, client) = configuration.makeClient(
            token: token,
            logger: logger,
            maxRetries: min(configuration.maxRetries, 2),
            proxy: proxy,
            trusted: trusted
        )
        var checks: [(name: String, check: () async throws -> String?)] = []
        for task in configuration.tasks {
            checks.append(("task \(task.id)", { Self.idNote(try await client.task(task.id).id, for: task.id) }))
        }
        for actor in configuration.actors {
            checks.append(("actor \(actor.id)", { Self.idNote(try await client.actor(actor.id).id, for: actor.id) }))
        }
        if configuration.allTasks {
            checks.append(("allTasks", { "\(try await client.tasks(offset: 0, limit: 1).total ?? 0) task(s) listed" }))
        }
        if configuration.account {
            checks.append(
                ("account", { "\(try await client.listRuns(.account, offset: 0, limit: 1).total ?? 0) run(s) listed" })
            )
        }
        for (name, check) in checks {
            do {
                let detail = try await check()
                print("\(name): ok" + (detail.map { " (\($0))" } ?? ""))
            } catch {
                print("\(name): FAILED: \(error)")
                ok = false
                if case ApifyError.unauthorized = error { break }
            }
        }
        try? await http.shutdown()
        if !ok { throw ExitCode(ExitStatus.failure) }
    }

    /// `ID …` when a reference was a name.
    private static func idNote(_ id: String, for reference: String) -> String? {
        id == reference ? nil : "ID \(id)"
    }

    /// Whether the database can live where the configuration puts it, for the user the daemon runs
    /// as: `--as-user`, else the service user when run as root and that user exists, else this user.
    private func checkDatabaseDirectory(_ database: String) -> Bool {
        let identity: DatabaseAccess.Identity
        if let asUser {
            guard let user = DatabaseAccess.Identity.user(named: asUser) else {
                print("database \(database): FAILED: there is no user \(asUser) (--as-user)")
                return false
            }
            identity = user
        } else if getuid() == 0, let service = DatabaseAccess.Identity.user(named: Self.serviceUser) {
            identity = service
        } else {
            identity = .current
        }
        var ok = true
        switch DatabaseAccess.check(database: database, as: identity) {
        case .usable(let detail): print("database \(database): \(detail)")
        case .createdBySystemd(let detail): print("database \(database): ok: \(detail)")
        case .unusable(let detail):
            print("database \(database): FAILED: \(detail)")
            ok = false
        }
        // The unit's ProtectSystem=strict leaves only the state directory writable.
        let directory = DatabaseAccess.directory(of: database)
        let stateDirectory = DatabaseAccess.stateDirectory
        if identity.name == Self.serviceUser, directory != stateDirectory, !directory.hasPrefix(stateDirectory + "/") {
            print(
                "database \(database): note: the unit leaves only \(stateDirectory) writable (ProtectSystem=strict); "
                    + "to keep the database in \(directory), add ReadWritePaths=\(directory) (systemctl edit apify-runs-sync)"
            )
        }
        return ok
    }
}
