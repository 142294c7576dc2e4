import ArgumentParser
import VigilCoordinator
import VigilPostgres

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, revoke and list API bearer tokens.",
        subcommands: [Create.self, Revoke.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it, alone on stdout: it is shown only this once (Vigil keeps its SHA-256)."
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "A unique name, such as siem-prod.")
        var name: String

        @Option(name: .customLong("scope"), help: "ingest, read, review or admin; repeat for several.")
        var scopes: [String]

        func validate() throws {
            guard !scopes.isEmpty else { throw ValidationError("give at least one --scope (ingest, read, review, admin)") }
            for scope in scopes where Scope(rawValue: scope) == nil {
                throw ValidationError("unknown scope '\(scope)': use ingest, read, review or admin")
            }
            guard !name.isEmpty, name.count <= 128 else { throw ValidationError("--name must be 1 to 128 characters") }
        }

        func run() async throws {
            let pool = PostgresPool(configuration: try await database.configuration())
            do {
                let token = try await TokenStore(pool: pool).create(name: name, scopes: Set(scopes.compactMap(Scope.init(rawValue:))))
                print(token)
            } catch let error as PostgresError where error.isUniqueViolation {
                await pool.close()
                throw ValidationError("a token named '\(name)' exists already")
            }
            await pool.close()
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by name; it stops working at once.")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The token's name.")
        var name: String

        func run() async throws {
            let pool = PostgresPool(configuration: try await database.configuration())
            let revoked = try await TokenStore(pool: pool).revoke(name: name)
            await pool.close()
            guard revoked else { throw ValidationError("no active token named '\(name)'") }
            print("revoked \(name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (names and scopes; never the tokens).")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let pool = PostgresPool(configuration: try await database.configuration())
            let tokens = try await TokenStore(pool: pool).all()
            await pool.close()
            for token in tokens {
                let scopes = token.scopes.map(\.rawValue).sorted().joined(separator: ",")
                print("\(token.name)\t\(scopes)\t\(token.revokedAt == nil ? "active" : "revoked")")
            }
        }
    }
}
