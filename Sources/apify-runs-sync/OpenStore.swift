import ApifyAPI
import ArgumentParser
import Daemon
import Logging
import RunStore

/// Takes the database lock and opens the sync context, or exits saying why.
///
/// A file that is not ours or too new exits with EX_CONFIG: the configuration names the wrong file
/// (or the binary is too old), and restarting will not change that.
func openContext(
    _ configuration: Configuration,
    token: APIToken,
    logger: Logger,
    metrics: SyncMetrics? = nil
) throws -> (DaemonLock, SyncComponents) {
    let lock: DaemonLock
    do {
        lock = try DaemonLock(database: configuration.database)
    } catch {
        if error.isConfiguration {
            logger.critical("cannot use the database path", metadata: ["event": "database_error", "error": "\(error)"])
            throw ExitCode(ExitStatus.configuration)
        }
        logger.critical("database in use", metadata: ["event": "database_locked", "error": "\(error)"])
        throw ExitCode(ExitStatus.locked)
    }
    do {
        let context = try SyncComponents.open(
            configuration: configuration,
            token: token,
            logger: logger,
            metrics: metrics
        )
        return (lock, context)
    } catch let error as ConfigurationError {
        logger.critical("invalid configuration", metadata: ["event": "config_error", "error": "\(error)"])
        throw ExitCode(ExitStatus.configuration)
    } catch let error as HTTPProxy.ConfigurationError {
        logger.critical("invalid proxy", metadata: ["event": "config_error", "error": "\(error)"])
        throw ExitCode(ExitStatus.configuration)
    } catch let error as RunStoreError {
        logger.critical("cannot use the database", metadata: ["event": "database_error", "error": "\(error)"])
        throw ExitCode(ExitStatus.configuration)
    } catch {
        logger.critical("cannot open the database", metadata: ["event": "database_error", "error": "\(error)"])
        throw ExitCode(ExitStatus.failure)
    }
}
