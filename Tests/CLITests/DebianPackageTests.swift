import Foundation
import TestSupport
import Testing

/// `packaging/build-deb.sh` on the debug binary: the package's files, modes, conffiles and
/// control fields as `dpkg-deb` reads them, its contents unpacked into a scratch root with
/// `dpkg -x`, and its maintainer scripts run there against stand-ins for systemd's commands.
@Suite(.serialized) struct DebianPackageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let directory: TemporaryDirectory
    let package: String

    /// Built once for the suite, into the build directory (overwritten by the next run).
    static let built = Task { () -> Result<String, BuildFailure> in
        let output = root.appendingPathComponent(".build/debian-package-test").path
        do {
            let build = try await ExternalCommand.run(
                [
                    root.appendingPathComponent("packaging/build-deb.sh").path,
                    "--binary", ProgramRun.executable.path, "--output", output, "--compression", "none",
                ]
            )
            guard build.status == 0 else { return .failure(BuildFailure(output: build.output)) }
            return .success(build.output.split(separator: "\n").last.map(String.init) ?? "")
        } catch {
            return .failure(BuildFailure(output: "\(error)"))
        }
    }

    struct BuildFailure: Error {
        var output: String
    }

    init() async throws {
        directory = try TemporaryDirectory()
        package = try await Self.built.value.get()
    }

    @Test func theControlFieldsNameThePackageItsVersionAndWhatItNeeds() async throws {
        let version = try await ExternalCommand.run([ProgramRun.executable.path, "--version"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let architecture = try await ExternalCommand.run(["dpkg", "--print-architecture"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(package.hasSuffix("/apify-runs-sync_\(version)_\(architecture).deb"))
        let fields = try await ExternalCommand.run(["dpkg-deb", "-f", package]).output
        #expect(fields.contains("Package: apify-runs-sync\n"), "\(fields)")
        #expect(fields.contains("Version: \(version)\n") && fields.contains("Architecture: \(architecture)\n"))
        let depends = try #require(fields.split(separator: "\n").first { $0.hasPrefix("Depends: ") })
        #expect(depends.contains("libc6") && depends.contains("libsqlite3-0"), "\(depends)")
        #expect(fields.contains("Maintainer: ") && fields.contains("Description: "))
        #expect(fields.contains("Installed-Size: "))
    }

    @Test func theConfigurationIsTheOnlyConffileAndTheScriptsAreExecutable() async throws {
        let control = directory.path("control")
        try #require(try await ExternalCommand.run(["dpkg-deb", "-e", package, control]).status == 0)
        let conffiles = try String(contentsOfFile: control + "/conffiles", encoding: .utf8)
        #expect(conffiles == "/etc/apify-runs-sync/config.json\n")
        for script in ["postinst", "prerm", "postrm"] {
            #expect(FileManager.default.isExecutableFile(atPath: control + "/" + script), "\(script)")
        }
    }

    @Test func everyFileIsInPlaceWithItsModeAndOwnedByRoot() async throws {
        let listing = try await ExternalCommand.run(["dpkg-deb", "-c", package]).output
        var modes: [String: String] = [:]
        for line in listing.split(separator: "\n") {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count >= 6 else { continue }
            #expect(columns[1] == "root/root", "\(line)")
            var path = String(columns[5])
            if path.hasPrefix(".") { path.removeFirst() }
            if path.count > 1 && path.hasSuffix("/") { path.removeLast() }
            modes[path] = String(columns[0])
        }
        let expected = [
            "/usr/bin/apify-runs-sync": "-rwxr-xr-x",
            "/usr/lib/systemd/system/apify-runs-sync.service": "-rw-r--r--",
            "/usr/lib/sysusers.d/apify-runs-sync.conf": "-rw-r--r--",
            "/etc/apify-runs-sync": "drwxr-x---",
            "/etc/apify-runs-sync/config.json": "-rw-r-----",
            "/usr/share/man/man1/apify-runs-sync.1.gz": "-rw-r--r--",
            "/usr/share/bash-completion/completions/apify-runs-sync": "-rw-r--r--",
            "/usr/share/zsh/vendor-completions/_apify-runs-sync": "-rw-r--r--",
            "/usr/share/doc/apify-runs-sync/README.md": "-rw-r--r--",
            "/usr/share/doc/apify-runs-sync/LICENSE": "-rw-r--r--",
            "/usr/share/doc/apify-runs-sync/copyright": "-rw-r--r--",
            "/": "drwxr-xr-x",
        ]
        for (path, mode) in expected { #expect(modes[path] == mode, "\(path): \(modes[path] ?? "missing")") }
        let files = modes.filter { !$0.value.hasPrefix("d") }.keys.sorted()
        #expect(files.count == expected.count - 2, "\(files)")
    }

    @Test func unpackedTheBinaryRunsWhereTheUnitStartsIt() async throws {
        let scratch = directory.path("root")
        try #require(try await ExternalCommand.run(["dpkg", "-x", package, scratch]).status == 0)
        let unit = try String(
            contentsOfFile: scratch + "/usr/lib/systemd/system/apify-runs-sync.service",
            encoding: .utf8
        )
        let execStart = try #require(unit.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
        let program = String(execStart.dropFirst("ExecStart=".count).split(separator: " ")[0])
        #expect(program == "/usr/bin/apify-runs-sync")
        let version = try await ExternalCommand.run([scratch + program, "--version"])
        #expect(version.status == 0 && !version.output.isEmpty, "\(version.output)")
        // Stripped: no symbol table left.
        #expect(try await ExternalCommand.run(["nm", scratch + program]).output.contains("no symbols"))
        #expect(unit.contains("Documentation=man:apify-runs-sync(1)"))
        let bash = try String(
            contentsOfFile: scratch + "/usr/share/bash-completion/completions/apify-runs-sync",
            encoding: .utf8
        )
        #expect(bash.contains("check-config") && bash.contains("--as-user"))
        let zsh = try String(
            contentsOfFile: scratch + "/usr/share/zsh/vendor-completions/_apify-runs-sync",
            encoding: .utf8
        )
        #expect(zsh.hasPrefix("#compdef apify-runs-sync"))
        let manual = try await ExternalCommand.run([
            "sh", "-c", "gzip -dc '\(scratch)/usr/share/man/man1/apify-runs-sync.1.gz'",
        ])
        #expect(
            manual.output == (try String(contentsOfFile: Self.root.path + "/docs/apify-runs-sync.1", encoding: .utf8))
        )
        let configuration = scratch + "/etc/apify-runs-sync/config.json"
        #expect(
            FileManager.default.contents(atPath: configuration)
                == FileManager.default.contents(atPath: Self.root.path + "/config.example.json")
        )
    }

    /// The maintainer scripts in a scratch root (`DPKG_ROOT`), with systemd's commands replaced by
    /// stand-ins that record how they were called.
    @Test func theMaintainerScriptsCreateTheUserReloadSystemdAndNeverStartWithoutAToken() async throws {
        let scratch = directory.path("root")
        try #require(try await ExternalCommand.run(["dpkg", "-x", package, scratch]).status == 0)
        let control = directory.path("scripts")
        try #require(try await ExternalCommand.run(["dpkg-deb", "-e", package, control]).status == 0)
        let stubs = directory.path("stubs")
        let calls = directory.path("calls.log")
        try FileManager.default.createDirectory(atPath: stubs, withIntermediateDirectories: true)
        for name in ["systemd-sysusers", "systemctl", "chgrp", "useradd"] {
            let stub = "#!/bin/sh\necho \"\(name) $*\" >> '\(calls)'\n"
            try Data(stub.utf8).write(to: URL(fileURLWithPath: stubs + "/" + name))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: stubs + "/" + name)
        }
        let environment = [
            "DPKG_ROOT": scratch, "PATH": stubs + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? ""),
        ]
        func run(_ script: String, _ arguments: String...) async throws -> [String] {
            try? FileManager.default.removeItem(atPath: calls)
            let result = try await ExternalCommand.run([control + "/" + script] + arguments, environment: environment)
            #expect(result.status == 0, "\(script) \(arguments): \(result.output)")
            return ((try? String(contentsOfFile: calls, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        // A first install where systemd is not running (a container, a chroot).
        var log = try await run("postinst", "configure", "")
        #expect(log.first == "systemd-sysusers --root=\(scratch) apify-runs-sync.conf", "\(log)")
        #expect(
            log.contains(
                "chgrp apify-runs-sync \(scratch)/etc/apify-runs-sync \(scratch)/etc/apify-runs-sync/config.json"
            )
        )
        #expect(!log.contains { $0.hasPrefix("systemctl") }, "\(log)")
        // Once the group exists in the root, by its number there (not this system's name service).
        try Data("root:x:0:\napify-runs-sync:x:987:\n".utf8).write(to: URL(fileURLWithPath: scratch + "/etc/group"))
        log = try await run("postinst", "configure", "")
        #expect(
            log.contains("chgrp 987 \(scratch)/etc/apify-runs-sync \(scratch)/etc/apify-runs-sync/config.json"),
            "\(log)"
        )
        // With systemd: the unit is made known, and nothing starts.
        try FileManager.default.createDirectory(
            atPath: scratch + "/run/systemd/system",
            withIntermediateDirectories: true
        )
        log = try await run("postinst", "configure", "")
        #expect(log.contains("systemctl daemon-reload"), "\(log)")
        #expect(!log.contains { $0.contains("start") || $0.contains("enable") }, "\(log)")
        // An upgrade with a token restarts a running service, and only a running one.
        log = try await run("postinst", "configure", "0.0.9")
        #expect(!log.contains { $0.contains("restart") }, "no token yet: \(log)")
        try Data("apify_api_x\n".utf8).write(to: URL(fileURLWithPath: scratch + "/etc/apify-runs-sync/apify-token"))
        log = try await run("postinst", "configure", "0.0.9")
        #expect(log.contains("systemctl try-restart apify-runs-sync.service"), "\(log)")
        #expect(!log.contains { $0.hasPrefix("systemctl start") || $0.hasPrefix("systemctl enable") }, "\(log)")

        #expect(try await run("prerm", "upgrade", "0.2.0").isEmpty)
        #expect(try await run("prerm", "remove") == ["systemctl stop apify-runs-sync.service"])
        #expect(try await run("postrm", "remove") == ["systemctl daemon-reload"])
        _ = try await run("postrm", "purge")
        #expect(!FileManager.default.fileExists(atPath: scratch + "/etc/apify-runs-sync/apify-token"))
    }

    /// A real `dpkg --root` install and purge, the maintainer scripts run outside the root
    /// (`--force-script-chrootless`, so with `DPKG_ROOT` set): needs root, as dpkg does.
    @Test(.enabled(if: getuid() == 0, "dpkg installs as root only"))
    func dpkgInstallsAndPurgesItInAScratchRoot() async throws {
        let scratch = directory.path("installed")
        for directory in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"] {
            try FileManager.default.createDirectory(
                atPath: scratch + "/" + directory,
                withIntermediateDirectories: true
            )
        }
        _ = FileManager.default.createFile(atPath: scratch + "/var/lib/dpkg/status", contents: nil)
        try Data("root:x:0:0:root:/root:/bin/sh\n".utf8).write(to: URL(fileURLWithPath: scratch + "/etc/passwd"))
        try Data("root:x:0:\n".utf8).write(to: URL(fileURLWithPath: scratch + "/etc/group"))
        let dpkg = ["dpkg", "--root=\(scratch)", "--force-script-chrootless", "--force-depends"]
        let install = try await ExternalCommand.run(dpkg + ["-i", package])
        #expect(install.status == 0, "\(install.output)")

        let group = try String(contentsOfFile: scratch + "/etc/group", encoding: .utf8)
        let line = try #require(group.split(separator: "\n").first { $0.hasPrefix("apify-runs-sync:") })
        let gid = try #require(UInt32(line.split(separator: ":")[2]))
        let attributes = try FileManager.default.attributesOfItem(atPath: scratch + "/etc/apify-runs-sync/config.json")
        #expect((attributes[.groupOwnerAccountID] as? NSNumber)?.uint32Value == gid)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o640)
        let status = try await ExternalCommand.run(["dpkg", "--root=\(scratch)", "-s", "apify-runs-sync"]).output
        #expect(
            status.contains("Status: install ok installed") && status.contains(" /etc/apify-runs-sync/config.json ")
        )

        try Data("apify_api_x\n".utf8).write(to: URL(fileURLWithPath: scratch + "/etc/apify-runs-sync/apify-token"))
        let purge = try await ExternalCommand.run(dpkg + ["--purge", "apify-runs-sync"])
        #expect(purge.status == 0, "\(purge.output)")
        for path in ["/usr/bin/apify-runs-sync", "/etc/apify-runs-sync/config.json", "/etc/apify-runs-sync"] {
            #expect(!FileManager.default.fileExists(atPath: scratch + path), "\(path) is left")
        }
    }
}
