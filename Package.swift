// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "apify-runs-sync",
    products: [
        .executable(name: "apify-runs-sync", targets: ["apify-runs-sync"]),
        .executable(name: "apify-runs-sync-bench", targets: ["apify-runs-sync-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.26.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.24.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // The C module around the system's libsqlite3. Only SQLiteCore imports it.
        .systemLibrary(
            name: "ApifyRunsCSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // glibc's malloc settings, which Swift's Glibc module leaves out. Only the Daemon module imports it.
        .systemLibrary(name: "ApifyRunsCMalloc"),
        // A run as the API lists it and the store keeps it: shared by the client and the store.
        .target(name: "RunModel"),
        // A small Swift layer over libsqlite3: connections, statements, values, errors, transactions.
        .target(name: "SQLiteCore", dependencies: ["ApifyRunsCSQLite"]),
        // The schema, its migrations, and the transactional run store.
        .target(name: "RunStore", dependencies: ["RunModel", "SQLiteCore"]),
        // The Apify API client: HTTP, retries, lenient decoding of run lists.
        .target(
            name: "ApifyAPI",
            dependencies: [
                "RunModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The sync engine: the offset cursor, anchor verification and unfinished-run tracking.
        .target(
            name: "RunSync",
            dependencies: [
                "ApifyAPI", "RunModel", "RunStore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // An in-process stand-in for the Apify API, for tests, the demo and the benchmark.
        .target(
            name: "ApifySimulator",
            dependencies: [
                "RunModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
            ]
        ),
        // The daemon: configuration, scheduling, systemd notification, log formatting, the metrics and
        // the HTTP endpoint that serves them.
        .target(
            name: "Daemon",
            dependencies: [
                "ApifyAPI", "ApifyRunsCMalloc", "RunModel", "RunStore", "RunSync",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
            ]
        ),
        .executableTarget(
            name: "apify-runs-sync",
            dependencies: [
                "Daemon", "ApifySimulator", "RunModel", "RunSync", "RunStore", "ApifyAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "apify-runs-sync-bench",
            dependencies: [
                "ApifySimulator", "RunModel", "RunSync", "RunStore", "Daemon", "ApifyAPI", "SQLiteCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Helpers the test targets share: a temporary directory per test (and the daemon's configuration
        // file in it), the database invariants, the check of a synced database against the simulator's
        // runs, an in-process transport over the simulator, a scripted HTTP server (a webhook receiver), a
        // strict reader of the Prometheus text format and a hand-written HTTP connection.
        .target(
            name: "TestSupport",
            dependencies: [
                "ApifyAPI", "ApifySimulator", "RunModel", "SQLiteCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "SQLiteCoreTests", dependencies: ["SQLiteCore", "TestSupport"]),
        .testTarget(name: "RunStoreTests", dependencies: ["RunModel", "RunStore", "SQLiteCore", "TestSupport"]),
        .testTarget(
            name: "ApifyAPITests",
            dependencies: [
                "ApifyAPI", "ApifySimulator", "RunModel", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "RunSyncTests",
            dependencies: [
                "RunSync", "ApifySimulator", "ApifyAPI", "RunModel", "RunStore", "SQLiteCore", "TestSupport",
            ]
        ),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon", "ApifyAPI", "ApifySimulator", "RunModel", "RunStore", "RunSync", "SQLiteCore",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Runs the real binary, as a user or systemd would.
        .testTarget(
            name: "CLITests",
            dependencies: ["apify-runs-sync", "ApifySimulator", "RunModel", "SQLiteCore", "TestSupport"]
        ),
        // libFuzzer over the decoder and the configuration parser; the harnesses are built by the test.
        .testTarget(name: "FuzzTests", dependencies: ["ApifySimulator", "TestSupport"], exclude: ["Harnesses"]),
    ],
    swiftLanguageModes: [.v6]
)
