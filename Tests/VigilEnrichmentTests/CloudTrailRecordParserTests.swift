import Foundation
import Testing
import VigilCore
@testable import VigilEnrichment

/// The CloudTrail loader's tree-free reader: the same rows as reading each record with ``JSONParser`` would give,
/// the record's own bytes for the jsonb column, and every record ``JSONParser`` refuses refused too.
@Suite struct CloudTrailRecordParserTests {
    static func rows(_ text: String) -> StagedRows { CloudTrailRecordParser.rows(bytes: Array(text.utf8), file: "t.json") }

    static let event = #"{"eventID":"e1","eventTime":"2024-08-01T13:33:28Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser"}"#

    @Test func keyFieldsMatchTheParsedRecordOnTheSharedData() throws {
        for file in try SharedData.cloudTrailFiles() {
            let staged = try CloudTrailRecordParser.rows(path: file)
            let records = try SharedData.records([file])
            let parsed = try CloudTrailFixture.events(file)
            #expect(staged.rejected.isEmpty, "\(file)")
            #expect(staged.rows.count == records.count, "\(file)")
            for ((row, record), value) in zip(zip(staged.rows, records), parsed) {
                let identity = record["userIdentity"] as? [String: Any]
                #expect(row[0] == record["eventID"] as? String)
                #expect(row[2] == record["eventSource"] as? String)
                #expect(row[3] == record["eventName"] as? String)
                #expect(row[4] == identity?["arn"] as? String)
                #expect(row[5] == identity?["type"] as? String)
                #expect(row[6] == (record["recipientAccountId"] as? String ?? identity?["accountId"] as? String))
                #expect(row[7] == record["awsRegion"] as? String)
                #expect(row[8] == record["sourceIPAddress"] as? String)
                #expect(row[10] == record["userAgent"] as? String)
                #expect(row[11] == record["errorCode"] as? String)
                // The record column holds the record's own text: the same JSON value.
                #expect(try JSONParser().parse(row[13]!) == value)
            }
        }
    }

    @Test func resourcesComeFromResourcesAndARNParametersWithoutRepeats() throws {
        let text = #"""
            {"eventID":"e1","eventTime":"2024-08-01T13:33:28Z","eventSource":"s3.amazonaws.com","eventName":"PutObject",
             "resources":[{"ARN":"arn:aws:s3:::b"},{"arn":"arn:aws:s3:::c"},{"type":"x"},"arn:aws:s3:::not-an-object"],
             "requestParameters":{"policyArn":"arn:aws:iam::aws:policy/A","list":["arn:aws:s3:::b","plain","arn:aws:s3:::d"],
                                  "nested":{"roleArn":"arn:aws:iam::1:role/deep"},"policyArn":"arn:aws:iam::aws:policy/B","n":1}}
            """#
        let staged = Self.rows(text)
        #expect(staged.rejected.isEmpty)
        // A repeated parameter keeps its first place with the last value (as JSONParser's lastWins); nested objects are not read.
        #expect(staged.rows.first?[12] == #"{"arn:aws:s3:::b","arn:aws:s3:::c","arn:aws:iam::aws:policy/B","arn:aws:s3:::d"}"#)
    }

    @Test func repeatedKeysEscapedKeysAndEscapedValuesReadAsTheParserReadsThem() throws {
        let text = #"{"eventID":"first","event\u0049D":"e\u00e9\ud83d\ude00","eventTime":"2024-08-01T13:33:28Z","eventSource":"a","eventName":5,"eventName":"N\"q\\","userIdentity":{"arn":"x"},"userIdentity":{"type":"Root"}}"#
        let staged = Self.rows(text)
        #expect(staged.rejected.isEmpty)
        let row = try #require(staged.rows.first)
        #expect(row[0] == "eé😀")
        #expect(row[3] == "N\"q\\")
        #expect(row[4] == nil)
        #expect(row[5] == "Root")
        #expect(row[13] == text)
    }

    @Test func pantherWrappedEventsAreUnwrapped() throws {
        let text = #"{"p_log_type":"AWS.CloudTrail","log":\#(Self.event)}"#
        let row = try #require(Self.rows(text).rows.first)
        #expect(row[0] == "e1")
        #expect(row[13] == Self.event)
    }

    @Test(arguments: [
        (#"{"eventID":"e1",}"#, "unexpected character"),
        (#"{"eventID":"e1" "x":1}"#, "unexpected character"),
        ("{\"eventID\":\"e\u{01}\"}", "control character in string"),
        (#"{"eventID":"\x"}"#, "invalid escape"),
        (#"{"eventID":"\ud800"}"#, "invalid escape"),
        (#"{"eventID":"\udc00\ud800"}"#, "invalid escape"),
        (#"{"n":01}"#, "unexpected character"),
        (#"{"n":1e999}"#, "invalid number"),
        (#"{"n":-}"#, "invalid number"),
        (#"{"n":tru}"#, "unexpected character"),
        (#"{"eventID":"e1"} x"#, "trailing data after value"),
        (#"{"eventID":"e1""#, "unexpected end of input"),
        (String(repeating: "[", count: 70) + String(repeating: "]", count: 70), "nesting too deep"),
        (#"{"a":"# + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "}", "nesting too deep"),
        (#"[1]"#, "not a JSON object"),
        (#"{"eventID":"e1","eventTime":"2024-08-01T13:33:28Z","eventSource":"a","eventName":"b","x":"\u0000"}"#, "contains a NUL character"),
        (#"{"eventTime":"2024-08-01T13:33:28Z","eventSource":"a","eventName":"b"}"#, "eventID: missing"),
        (#"{"eventID":"e1","eventTime":"yesterday","eventSource":"a","eventName":"b"}"#, "eventTime: not an RFC 3339 time"),
    ])
    func badRecordsAreRejectedWithTheParsersReason(line: String, reason: String) throws {
        let staged = Self.rows(Self.event + "\n" + line + "\n")
        #expect(staged.rows.count == 1)
        #expect(staged.rejected.map(\.reason) == [reason])
        #expect(staged.rejected.map(\.position) == ["line 2 (record 2)"])
        // What the loader refuses as JSON, the strict parser refuses too.
        if !reason.contains(":"), reason != "contains a NUL character", reason != "not a JSON object" {
            #expect(throws: JSONParseError.self) { try JSONParser().parse(line) }
        }
    }

    @Test func invalidUTF8IsRejected() throws {
        var bytes = Array(Self.event.utf8) + [0x0A]
        bytes += Array(#"{"eventID":"e"#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        let staged = CloudTrailRecordParser.rows(bytes: bytes, file: "t.json")
        #expect(staged.rows.count == 1)
        #expect(staged.rejected.map(\.reason) == ["invalid UTF-8"])
    }

    @Test func formatsAreFoundWhateverTheLayout() throws {
        let second = Self.event.replacingOccurrences(of: "e1", with: "e2")
        let layouts = [
            "{\"Records\": [\n" + Self.event + ",\n" + second + "\n]}",
            "{\"other\": {\"Records\": 1}, \"Records\": [" + Self.event + "," + second + "]}",
            "  [" + Self.event + ", " + second + "]  ",
            Self.event + "\n\n" + second + "\n",
        ]
        for layout in layouts {
            let staged = Self.rows(layout)
            #expect(staged.rows.map { $0[0] } == ["e1", "e2"], "\(layout)")
        }
        #expect(Self.rows(Self.event).rows.count == 1)
        #expect(Self.rows("").read == 0)
    }
}
