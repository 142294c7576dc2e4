import Foundation
import Testing
import VigilPostgres

/// TLS to PostgreSQL is libpq's: `sslmode`, `sslrootcert` (and `sslcert`/`sslkey`) pass through the connection
/// string or URL, or the `PGSSLMODE`/`PGSSLROOTCERT` variables. A throwaway server with `ssl=on` and a
/// certificate from a throwaway CA proves verify-full both ways.
@Suite("TLS to PostgreSQL", .serialized)
struct TLSTests {
    @Test("sslmode=verify-full connects with the right root and is refused with a wrong one")
    func verifyFull() async throws {
        try await PrivateServer.with(["--fast", "--ssl"]) { server in
            let root = try #require(server.sslRoot)

            let verified = try await PostgresConnection.connect(
                PostgresConfiguration(connectionString: "\(server.url)?sslmode=verify-full&sslrootcert=\(root)")
            )
            let rows = try await verified.query("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            #expect(try rows[0].decode(Bool.self, column: "ssl"))
            #expect(try rows[0].decode(String.self, column: "version").hasPrefix("TLS"))
            await verified.close()

            // The same through the pool, as Vigil's processes connect (conninfo keywords instead of a URL this time).
            let port = try #require(server.url.split(separator: ":").last?.split(separator: "/").first)
            let pool = PostgresPool(
                configuration: PostgresConfiguration(
                    connectionString: "host=localhost port=\(port) user=postgres dbname=postgres sslmode=verify-full sslrootcert=\(root)"
                )
            )
            #expect(try await pool.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")[0].decode(Bool.self, column: "ssl"))
            await pool.close()

            // A root that did not sign the server's certificate: refused.
            let wrongRoot = try await Self.selfSignedCA()
            defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: wrongRoot).deletingLastPathComponent().path) }
            await #expect(throws: PostgresError.self) {
                let connection = try await PostgresConnection.connect(
                    PostgresConfiguration(connectionString: "\(server.url)?sslmode=verify-full&sslrootcert=\(wrongRoot)")
                )
                await connection.close()
            }
            // No TLS at all when asked for none: the parameters really reach libpq.
            let plain = try await PostgresConnection.connect(PostgresConfiguration(connectionString: "\(server.url)?sslmode=disable"))
            #expect(try await plain.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")[0].decode(Bool.self, column: "ssl") == false)
            await plain.close()
        }
    }

    /// A fresh CA certificate that signed nothing, in a temporary file.
    static func selfSignedCA() async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-wrong-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("root.crt").path
        try await PrivateServer.run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=Not the Vigil CA", "-keyout", directory.appendingPathComponent("ca.key").path, "-out", certificate,
        ])
        return certificate
    }
}
