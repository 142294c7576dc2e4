import Foundation
import VigilCore

extension TextInspector {
    /// An evidence id found in a tool result, with the text of the innermost object that carried it.
    struct EvidenceItem: Sendable, Hashable {
        var id: String
        var context: String
    }

    /// Evidence ids in one tool result: the string values of `keys` (or strings in arrays under them), read from
    /// the result as JSON when it parses, else by pattern from its text and from any base64 inside it.
    static func evidence(in toolResult: String, keys: [String]) -> [EvidenceItem] {
        if let value = try? JSONParser(duplicateKeys: .lastWins).parse(toolResult) {
            var items: [EvidenceItem] = []
            collect(value, keys: Set(keys), into: &items)
            return items
        }
        let text = expanded(toolResult)
        var items: [EvidenceItem] = []
        for key in keys {
            let ids =
                isPlainKey(key) ? Scanner.read(text, { $0.evidenceIDs(key: key) }) ?? Reference.evidenceIDs(in: text, key: key)
                : Reference.evidenceIDs(in: text, key: key)
            items += ids.map { EvidenceItem(id: $0, context: text) }
        }
        return items
    }

    /// A key of ASCII letters, digits and `_`: one the scanner reads (any other is a pattern for `Regex`).
    private static func isPlainKey(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.allSatisfy { ByteSet.lettersAndUnderscore.contains($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    private static func collect(_ value: JSONValue, keys: Set<String>, into items: inout [EvidenceItem]) {
        switch value {
        case .object(let object):
            var context: String?
            for member in object where keys.contains(member.key) {
                let ids: [String] =
                    switch member.value {
                    case .string(let s): [s]
                    case .array(let a): a.compactMap(\.stringValue)
                    default: []
                    }
                if context == nil, !ids.isEmpty { context = value.jsonText }
                for id in ids where !id.isEmpty && id.count <= 256 { items.append(EvidenceItem(id: id, context: context!)) }
            }
            for member in object { collect(member.value, keys: keys, into: &items) }
        case .array(let array):
            for element in array { collect(element, keys: keys, into: &items) }
        case .string(let s):
            // A tool result may carry JSON inside a string (spotlighting wraps data): read it too.
            if s.first == "{" || s.first == "[", let inner = try? JSONParser(duplicateKeys: .lastWins).parse(s) {
                collect(inner, keys: keys, into: &items)
            }
        default:
            break
        }
    }

    /// The IAM calls that create persistence, as DESIGN.md lists them.
    static let persistenceCalls = [
        "CreateRole", "AttachRolePolicy", "CreateUser", "CreateAccessKey", "UpdateAssumeRolePolicy", "PutRolePolicy",
        "AddUserToGroup",
    ]

    /// Threat signals in a tool result: persistence calls, bad reputation, privilege, GuardDuty threat finding
    /// types, exfiltration and lateral movement. Negated forms (`"malicious": false`, `not malicious`) do not count.
    static func threatSignals(in text: String) -> [String] {
        var signals: [String] = []
        for call in persistenceCalls where Reference.contains(text, call) { signals.append("persistence call \(call)") }
        for finding in threatFindings where Reference.contains(text, finding) {
            signals.append("GuardDuty finding \(finding.trimmingCharacters(in: [":"]))")
        }
        let lowered = text.lowercased()
        let affirmed =
            Scanner.read(lowered) { scanner -> String in
                let withoutFields = scanner.replacing(scanner.negatedFields())
                return withoutFields.withUnsafeBufferPointer { bytes in
                    let scanner = Scanner(bytes: bytes)
                    return String(decoding: scanner.replacing(scanner.negatedWords()), as: UTF8.self)
                }
            } ?? Reference.withoutNegations(lowered: lowered)
        for (word, signal) in threatWords where Reference.contains(affirmed, word) {
            signals.append(signal)
        }
        return unique(signals)
    }

    private static let threatFindings = [
        "UnauthorizedAccess", "CredentialAccess", "PrivilegeEscalation", "Exfiltration:", "Backdoor:", "Trojan:",
        "CryptoCurrency:", "Persistence:", "Impact:", "Recon:IAMUser",
    ]

    private static let threatWords = [
        ("malicious", "malicious reputation"), ("suspicious", "suspicious reputation"), ("tor exit", "Tor exit node"),
        ("tor_exit", "Tor exit node"), ("botnet", "botnet"), ("command and control", "command and control"),
        ("privileged", "privileged principal"), ("administratoraccess", "AdministratorAccess policy"),
        ("exfiltration", "exfiltration"), ("lateral movement", "lateral movement"),
    ]

    /// Whether a tool result describes routine, known activity.
    static func describesRoutineActivity(_ text: String) -> Bool {
        let lowered = text.lowercased()
        return Scanner.read(lowered) { $0.mentionsRoutine() } ?? Reference.mentionsRoutine(lowered: lowered)
    }

    /// Whether a tool result reports a failure rather than data (OpenAI tool messages carry no error flag): a JSON
    /// object with a top-level `error`, or text that starts with "error" or says a lookup failed.
    static func reportsFailure(_ text: String) -> Bool {
        // A JSON answer (also inside a spotlighting wrapper) fails only when it says so at its top level: a field
        // such as a principal history's `"failed": 3` counts failed calls, it is not a failed lookup.
        if case .object(let object)? = embeddedJSON(in: text) { return object["error"] != nil }
        let lowered = text.lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
        return lowered.hasPrefix("error") || (Scanner.read(lowered) { $0.mentionsFailure() } ?? Reference.mentionsFailure(lowered: lowered))
    }
}
