import Foundation
import Testing
import VigilCore
import VigilEnrichment
import VigilPostgres

/// Corrupted files through every loader (`vigil load cloudtrail|vpcflow|guardduty|intel|auth|assets`): bad records
/// are rejected with their line, the intact ones are stored, and nothing crashes. Files that cannot be read at all
/// (damaged gzip, damaged YAML) fail with a ``LoadError``. Seeded (`VIGIL_FUZZ_SEED`); `VIGIL_FUZZ_FILES` sets the
/// files per kind (default 20, 40 records each).
@Suite("Loader fuzzing", .serialized)
struct LoaderFuzzTests {
    static var filesPerKind: Int { ProcessInfo.processInfo.environment["VIGIL_FUZZ_FILES"].flatMap(Int.init) ?? 20 }
    static var seed: UInt64 { ProcessInfo.processInfo.environment["VIGIL_FUZZ_SEED"].flatMap(UInt64.init) ?? 20_261_127 }
    static let recordsPerFile = 40

    /// A line-per-record format: a good record for a serial number, and the table its records land in.
    struct LineFormat: Sendable, CustomStringConvertible {
        var kind: LoadKind
        var header: String?
        var table: String
        var record: @Sendable (Int) -> String
        var description: String { kind.rawValue }
    }

    static let formats: [LineFormat] = [
        LineFormat(kind: .cloudtrail, header: nil, table: "cloudtrail_event") { n in
            #"{"eventVersion":"1.08","eventID":"fuzz-\#(n)","eventTime":"2026-11-2\#(n % 7)T10:00:00Z","eventSource":"iam.amazonaws.com","#
                + #""eventName":"CreateRole","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.\#(n % 250)","#
                + #""userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/u\#(n % 9)","accountId":"123456789012"}}"#
        },
        LineFormat(kind: .guardduty, header: nil, table: "guardduty_finding") { n in
            #"{"Id":"gd-fuzz-\#(n)","AccountId":"123456789012","Region":"us-east-1","Type":"Recon:EC2/Portscan","Severity":\#(n % 9).5,"#
                + #""Title":"t","CreatedAt":"2026-11-20T10:00:00Z","UpdatedAt":"2026-11-20T11:00:00Z","#
                + #""Resource":{"ResourceType":"Instance","InstanceDetails":{"InstanceId":"i-\#(n)"}}}"#
        },
        LineFormat(kind: .auth, header: nil, table: "auth_event") { n in
            #"{"time":"2026-11-2\#(n % 7)T09:00:0\#(n % 10)Z","user":"user\#(n)","source_ip":"203.0.113.\#(n % 250)","result":"failure","asn":"AS\#(n)"}"#
        },
        LineFormat(kind: .vpcflow, header: nil, table: "vpc_flow") { n in
            let start = 1_795_000_000 + n * 61
            return "2 123456789012 eni-\(n) 10.0.\(n % 200).5 10.1.\(n % 100).9 \(40000 + n % 20000) 443 6 10 \(1000 + n) \(start) \(start + 60) ACCEPT OK"
        },
        LineFormat(kind: .intel, header: "indicator,score,source", table: "intel_indicator") { n in
            "\(n % 200).\(n / 200 % 250).7.0/24,\(n % 100),fuzz"
        },
    ]

    @Test("corrupted records are rejected with their line; intact ones load; nothing crashes", arguments: formats)
    func corruptedRecords(format: LineFormat) async throws {
        try await Self.withDatabase { database, scratch in try await Self.corruptedRecords(format: format, database: database, scratch: scratch) }
    }

    static func corruptedRecords(format: LineFormat, database: EnrichmentDatabase, scratch: ScratchDirectory) async throws {
        var rng = SplitMix64(seed: Self.seed &+ UInt64(format.kind.rawValue.utf8.count))
        var paths: [String] = []
        var intact = 0
        var damagedLines = 0
        var serial = 0
        for file in 0..<Self.filesPerKind {
            var lines: [[UInt8]] = format.header.map { [Array($0.utf8)] } ?? []
            for _ in 0..<Self.recordsPerFile {
                serial += 1
                let good = Array(format.record(serial).utf8)
                if rng.next() % 3 == 0 {
                    lines.append(Self.damage(good, using: &rng))
                    damagedLines += 1
                } else {
                    lines.append(good)
                    intact += 1
                }
            }
            paths.append(try scratch.write("\(format.kind.rawValue)-\(file).log", bytes: Array(lines.joined(separator: [0x0A]))))
        }
        let loader = EnrichmentLoader(pool: database.pool)
        let summary = try await loader.load(format.kind, paths: paths)
        let lineCount = Self.filesPerKind * Self.recordsPerFile
        // Every record line is read (damage may make one line look like a comment or blank in a list format).
        #expect(summary.read <= lineCount && summary.read >= lineCount - damagedLines, "\(summary)")
        // Every intact record is stored; damaged ones are rejected or (when the damage left them valid) stored.
        #expect(summary.loaded + summary.duplicates >= intact, "\(summary)")
        #expect(summary.rejected.count <= damagedLines)
        #expect(summary.rejected.count > damagedLines / 4, "the damage is real: \(summary.rejected.count) of \(damagedLines) rejected")
        for rejection in summary.rejected {
            #expect(rejection.position.hasPrefix("line ") || rejection.position.hasPrefix("record "), "\(rejection)")
            #expect(!rejection.reason.isEmpty)
        }
        let stored = try await database.count("SELECT count(*) FROM \(format.table)")
        #expect(stored >= intact - summary.duplicates, "intact records are in \(format.table)")
        print("loader fuzz \(format.kind.rawValue): \(paths.count) files, \(lineCount) records (\(damagedLines) damaged): \(summary)")
    }

    @Test("damaged gzip files and damaged YAML fail with a LoadError naming the file, never a crash")
    func unreadableFiles() async throws {
        try await Self.withDatabase { database, scratch in try await Self.unreadableFiles(database: database, scratch: scratch) }
    }

    static func unreadableFiles(database: EnrichmentDatabase, scratch: ScratchDirectory) async throws {
        var rng = SplitMix64(seed: Self.seed)
        let loader = EnrichmentLoader(pool: database.pool)
        let yaml = Array("privileged_principals:\n  - arn:aws:iam::*:role/Admin\nsecrets_stores:\n  - arn:aws:secretsmanager:*\n".utf8)
        var refused = 0
        var loaded = 0
        for round in 0..<100 {
            // gzip magic followed by garbage: the file cannot be read; YAML with damage: may still parse.
            let gzip = [0x1F, 0x8B, 0x08, 0x00] + (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let gzipPath = try scratch.write("broken-\(round).json.gz", bytes: gzip)
            do {
                _ = try await loader.load(.cloudtrail, paths: [gzipPath])
                loaded += 1
            } catch let error as LoadError {
                #expect(error.message.contains(gzipPath) || error.message.contains("broken-\(round)"), "\(error)")
                refused += 1
            }
            let yamlPath = try scratch.write("assets-\(round).yaml", bytes: Self.damage(yaml, using: &rng))
            do {
                _ = try await loader.load(.assets, paths: [yamlPath])
                loaded += 1
            } catch let error as LoadError {
                #expect(error.code == .invalidFile)
                refused += 1
            }
        }
        #expect(refused >= 100, "every damaged gzip is refused (refused \(refused), loaded \(loaded))")
    }

    /// Runs `body` on a fresh schema and scratch folder, and removes both afterwards (awaited, so no cleanup task
    /// outlives the test process).
    static func withDatabase(_ body: (EnrichmentDatabase, ScratchDirectory) async throws -> Void) async throws {
        try await EnrichmentDatabase.with { database in
            let scratch = try ScratchDirectory()
            defer { scratch.remove() }
            try await body(database, scratch)
        }
    }

    /// Damage of one kind: truncation, invalid UTF-8, NUL bytes, a huge string, a wrong type, or random edits.
    static func damage(_ line: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
        var bytes = line
        let position = Int(rng.next() % UInt64(max(1, bytes.count - 1))) + 1
        switch rng.next() % 6 {
        case 0:
            bytes = Array(bytes[..<position])
        case 1:
            bytes.insert(contentsOf: [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0x80, 0x80]][Int(rng.next() % 4)], at: position)
        case 2:
            bytes.insert(0x00, at: position)
        case 3:
            bytes.insert(contentsOf: Array(repeating: UInt8(ascii: "Z"), count: 100_000 + Int(rng.next() % 100_000)), at: position)
        case 4:
            // A value replaced by the wrong type: the first quoted value after a colon becomes an array, or a field shifts.
            if let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon + 1 < bytes.count {
                bytes.insert(contentsOf: Array("[1,{}],".utf8), at: colon + 1)
            } else {
                bytes = Array(bytes.map { $0 == 0x20 ? UInt8(ascii: ",") : $0 })
            }
        default:
            let alphabet = Array("{}[]\",:\\ 0a-.#".utf8) + [0x00, 0xFF]
            for _ in 0..<(1 + Int(rng.next() % 6)) {
                let at = Int(rng.next() % UInt64(bytes.count + 1))
                switch rng.next() % 3 {
                case 0: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: at)
                case 1: if at < bytes.count { bytes.remove(at: at) }
                default: if at < bytes.count { bytes[at] = alphabet[Int(rng.next() % UInt64(alphabet.count))] }
                }
            }
        }
        return bytes
    }
}

extension ScratchDirectory {
    /// Writes raw bytes (which may be invalid UTF-8) and returns the path.
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}
