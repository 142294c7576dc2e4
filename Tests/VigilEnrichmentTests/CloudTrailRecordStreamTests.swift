import Foundation
import Testing
import VigilCore
@testable import VigilEnrichment

/// The chunked CloudTrail reader: whatever the chunk size, it finds the same records at the same positions as
/// reading the whole file at once, keeps only a chunk plus one record in memory, and passes over records too large
/// to keep without holding them.
@Suite struct CloudTrailRecordStreamTests {
    static func event(_ n: Int, extra: String = "") -> String {
        #"{"eventID":"e\#(n)","eventTime":"2024-08-01T13:33:28Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","#
            + #""userIdentity":{"arn":"arn:aws:iam::123456789012:user/u\#(n % 3)"},"requestParameters":{"note":"a ] } , [ {\"q\""\#(extra)}}"#
    }

    /// Every record of `text` read with chunks of `chunkSize` bytes: rows, rejections and the largest buffer seen.
    static func read(_ text: [UInt8], chunkSize: Int, maxRecordBytes: Int = 64 << 20) throws -> (StagedRows, Int) {
        var stream = CloudTrailRecordStream(FileChunks(bytes: text, name: "t.json", chunkSize: chunkSize), maxRecordBytes: maxRecordBytes)
        var staged = StagedRows()
        var largest = 0
        // One record per call, to see the buffer between records.
        while try CloudTrailRecordParser.read(&stream, into: &staged, upTo: staged.rows.count + 1) {
            largest = max(largest, stream.buffer.count)
        }
        return (staged, max(largest, stream.buffer.count))
    }

    static let layouts: [String] = {
        let events = (1...12).map { event($0) }
        var damaged = events
        // Damage that leaves the layout whole: a time that is not a string, a member without its colon.
        damaged[3] = damaged[3].replacingOccurrences(of: "\"2024-08-01T13:33:28Z\"", with: "2024")
        damaged[7] = damaged[7].replacingOccurrences(of: "\"eventName\":", with: "\"eventName\" ")
        return [
            "{\"Records\": [\n" + events.joined(separator: ",\n") + "\n]}",
            "{\"other\": {\"Records\": 1}, \"Records\":[" + events.joined(separator: ",") + "]}",
            "  [\n  " + damaged.joined(separator: ",\n  ") + "\n]\n",
            events.joined(separator: "\n") + "\n",
            damaged.joined(separator: "\r\n\n"),
            "{not json\n" + events.joined(separator: "\n"),
            events[0],
            "\n\n" + events[0] + "\n\n",
            "",
        ]
    }()

    @Test(arguments: [64, 100, 333, 4096])
    func chunkedReadingFindsWhatWholeReadingFinds(chunkSize: Int) throws {
        for layout in Self.layouts {
            let bytes = Array(layout.utf8)
            let (whole, _) = try Self.read(bytes, chunkSize: 1 << 20)
            let (chunked, _) = try Self.read(bytes, chunkSize: chunkSize)
            #expect(chunked.rows == whole.rows, "\(layout.prefix(40))")
            #expect(chunked.rejected == whole.rejected, "\(layout.prefix(40))")
        }
    }

    @Test func layoutsAndPositionsAreThoseOfTheFormat() throws {
        let (records, _) = try Self.read(Array(Self.layouts[0].utf8), chunkSize: 64)
        #expect(records.rows.map { $0[0] } == (1...12).map { "e\($0)" })
        let (damaged, _) = try Self.read(Array(Self.layouts[2].utf8), chunkSize: 64)
        #expect(damaged.rows.count == 10)
        #expect(damaged.rejected.map(\.position) == ["line 5 (record 4)", "line 9 (record 8)"])
        let (lines, _) = try Self.read(Array(Self.layouts[4].utf8), chunkSize: 50)
        #expect(lines.rejected.map(\.position) == ["line 7 (record 4)", "line 15 (record 8)"])
        let (ndjson, _) = try Self.read(Array(Self.layouts[5].utf8), chunkSize: 50)
        #expect(ndjson.rows.count == 12)
        #expect(ndjson.rejected.map(\.position) == ["line 1 (record 1)"])
        let (single, _) = try Self.read(Array(Self.layouts[7].utf8), chunkSize: 64)
        #expect(single.rows.map { $0[0] } == ["e1"])
        #expect(try Self.read([], chunkSize: 64).0.read == 0)
    }

    /// A record larger than the limit is rejected with its position, and the buffer never holds it.
    @Test func recordsTooLargeToKeepAreRejectedWithoutBeingHeld() throws {
        let big = Self.event(2, extra: ",\"padding\":\"" + String(repeating: "x", count: 50_000) + "\"")
        for text in [
            "{\"Records\":[" + [Self.event(1), big, Self.event(3)].joined(separator: ",") + "]}",
            [Self.event(1), big, Self.event(3)].joined(separator: "\n"),
        ] {
            let (staged, largest) = try Self.read(Array(text.utf8), chunkSize: 1000, maxRecordBytes: 4000)
            #expect(staged.rows.map { $0[0] } == ["e1", "e3"])
            #expect(staged.rejected.map(\.reason) == ["record larger than 4000 bytes"])
            #expect(staged.rejected.first?.position.hasSuffix("(record 2)") == true)
            #expect(largest <= 2 * 1000 + 4000, "buffer held \(largest) bytes")
        }
    }

    /// A gzip file of several members, read in small chunks, gives the rows of its plain text; a damaged one fails
    /// with a LoadError naming the file.
    @Test func gzipFilesAreInflatedChunkByChunk() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let events = (1...200).map { Self.event($0) }
        let first = try scratch.write("a.ndjson", events[..<120].joined(separator: "\n") + "\n")
        let second = try scratch.write("b.ndjson", events[120...].joined(separator: "\n") + "\n")
        let joined = try Data(contentsOf: URL(fileURLWithPath: CloudTrailFixture.gzip(first)))
            + Data(contentsOf: URL(fileURLWithPath: CloudTrailFixture.gzip(second)))
        let path = scratch.url.appendingPathComponent("both.json.gz").path
        try joined.write(to: URL(fileURLWithPath: path))
        var stream = try CloudTrailRecordStream(path: path, chunkSize: 256)
        var staged = StagedRows()
        while try CloudTrailRecordParser.read(&stream, into: &staged, upTo: .max) {}
        #expect(staged.rows.map { $0[0] } == (1...200).map { "e\($0)" })
        #expect(staged.rejected.isEmpty)

        let truncated = scratch.url.appendingPathComponent("cut.json.gz").path
        try joined.prefix(joined.count - 40).write(to: URL(fileURLWithPath: truncated))
        let error = #expect(throws: LoadError.self) {
            var cut = try CloudTrailRecordStream(path: truncated, chunkSize: 256)
            var partial = StagedRows()
            while try CloudTrailRecordParser.read(&cut, into: &partial, upTo: .max) {}
        }
        #expect(error?.message.contains("cut.json.gz") == true)
    }
}
