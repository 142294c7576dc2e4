import Foundation

/// A private PostgreSQL server under `.vigil/postgres`, started from the system's binaries.
///
/// For newcomers and demos only: production points `DATABASE_URL` at a real cluster. When run as
/// root the server runs as the unprivileged `postgres` user (PostgreSQL refuses root). A second run
/// reuses the data directory; ``stop()`` stops the server but keeps the data.
struct EmbeddedPostgres {
    let directory: URL
    var dataDirectory: URL { directory.appendingPathComponent("data") }
    var socketDirectory: URL { directory.appendingPathComponent("sock") }
    var logFile: URL { directory.appendingPathComponent("server.log") }
    var portFile: URL { directory.appendingPathComponent("port") }

    init(root: URL) {
        directory = root.appendingPathComponent("postgres")
    }

    /// The folder holding PostgreSQL's server programs (`initdb`, `pg_ctl`).
    static func binaries() throws -> URL {
        let base = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let bin = base.appendingPathComponent(version).appendingPathComponent("bin")
            if FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path) { return bin }
        }
        throw EmbeddedPostgresError("no PostgreSQL server programs under /usr/lib/postgresql: install Debian's 'postgresql' package")
    }

    private var runsAsOther: Bool { getuid() == 0 }

    private func asOwner(_ command: [String]) -> [String] {
        runsAsOther ? ["runuser", "-u", "postgres", "--"] + command : command
    }

    /// Starts the server (initialising it on first use) and returns its connection URL.
    func start() async throws -> String {
        let bin = try Self.binaries()
        let fm = FileManager.default
        try fm.createDirectory(at: socketDirectory, withIntermediateDirectories: true)
        if !fm.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) {
            try? fm.removeItem(at: dataDirectory)
            try fm.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
            try await chownToOwner()
            try await ChildProcess.run(asOwner([
                bin.appendingPathComponent("initdb").path, "-D", dataDirectory.path, "--auth=trust", "--username=postgres",
                "--encoding=UTF8", "--locale=C",
            ]))
        }
        try await chownToOwner()
        let port = try existingOrNewPort()
        if try await isRunning(bin: bin) == false {
            try await ChildProcess.run(asOwner([
                bin.appendingPathComponent("pg_ctl").path, "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60",
                "-o", "-c listen_addresses=127.0.0.1 -p \(port) -k \(socketDirectory.path) -c max_connections=200", "start",
            ]))
        }
        return "postgresql://postgres@127.0.0.1:\(port)/postgres"
    }

    /// Stops the server (fast shutdown), keeping its data.
    func stop() async throws {
        let bin = try Self.binaries()
        guard try await isRunning(bin: bin) else { return }
        try await ChildProcess.run(asOwner([bin.appendingPathComponent("pg_ctl").path, "-D", dataDirectory.path, "-m", "fast", "-w", "stop"]))
    }

    /// Deletes the server and its data.
    func reset() async throws {
        try? await stop()
        try? FileManager.default.removeItem(at: directory)
    }

    func isRunning(bin: URL) async throws -> Bool {
        do {
            try await ChildProcess.run(asOwner([bin.appendingPathComponent("pg_ctl").path, "-D", dataDirectory.path, "status"]))
            return true
        } catch let failure as ChildProcess.Failure where failure.status == 3 || failure.status == 4 {
            return false
        }
    }

    private func chownToOwner() async throws {
        guard runsAsOther else { return }
        try await ChildProcess.run(["chown", "-R", "postgres:postgres", directory.path])
        // The server user must be able to reach the folder through its parents.
        var parent = directory.deletingLastPathComponent()
        while parent.path != "/" {
            try? await ChildProcess.run(["chmod", "o+x", parent.path])
            parent = parent.deletingLastPathComponent()
        }
    }

    private func existingOrNewPort() throws -> Int {
        if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return port
        }
        let port = try Self.freePort()
        try String(port).write(to: portFile, atomically: true, encoding: .utf8)
        return port
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw EmbeddedPostgresError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw EmbeddedPostgresError("could not find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct EmbeddedPostgresError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
