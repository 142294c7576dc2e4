import Foundation
import Testing
import VigilPostgres

/// Connection settings are libpq's own: these go through libpq's parsing, not Vigil's.
@Suite("libpq connection settings")
struct ConnectionSettingsTests {
    /// Host and port of the test server, from its URL.
    static func hostAndPort() throws -> (String, Int) {
        let url = try TestDatabase.baseConfiguration.connectionString
        guard let components = URLComponents(string: url), let host = components.host, let port = components.port else {
            throw TestSetupError("DATABASE_URL has no host and port")
        }
        return (host, port)
    }

    @Test("a multi-host conninfo with target_session_attrs=read-write skips a dead host")
    func multiHostFailover() async throws {
        let (host, port) = try Self.hostAndPort()
        let deadPort = 1
        let conninfo = "host=\(host),\(host) port=\(deadPort),\(port) user=postgres dbname=postgres target_session_attrs=read-write connect_timeout=5"
        let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: conninfo))
        let rows = try await connection.query("SELECT inet_server_port() AS port, pg_is_in_recovery() AS standby")
        #expect(try rows[0].decode(Int.self, column: "port") == port)
        #expect(try rows[0].decode(Bool.self, column: "standby") == false)
        await connection.close()
    }

    @Test("an empty connection string falls back to a libpq service file")
    func serviceFile() async throws {
        let (host, port) = try Self.hostAndPort()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-pg-service-\(UUID().uuidString).conf")
        try "[vigil_test]\nhost=\(host)\nport=\(port)\nuser=postgres\ndbname=postgres\n"
            .write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        // A conninfo naming only the service: libpq reads the rest from PGSERVICEFILE's entry.
        // (Only connections that name a service read the file, so other tests are unaffected.)
        setenv("PGSERVICEFILE", file.path, 1)
        let connection = try await PostgresConnection.connect(PostgresConfiguration(connectionString: "service=vigil_test"))
        let rows = try await connection.query("SELECT inet_server_port() AS port, current_user AS who")
        #expect(try rows[0].decode(Int.self, column: "port") == port)
        #expect(try rows[0].decode(String.self, column: "who") == "postgres")
        await connection.close()
    }

    @Test("a wrong password or unreachable host fails with connectionFailed, naming no secret")
    func connectionFailure() async throws {
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(
                PostgresConfiguration(connectionString: "postgresql://vigil:hunter2-secret@127.0.0.1:1/vigil?connect_timeout=2")
            )
        }
        #expect(error?.code == .connectionFailed)
        #expect(error?.description.contains("hunter2-secret") == false)
    }
}
