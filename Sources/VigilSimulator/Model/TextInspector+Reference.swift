import Foundation

extension TextInspector {
    /// The inspector's patterns as Swift `Regex`, compiled once: the definition of what the byte scanners
    /// (``TextInspector/Scanner``) compute, and the path taken for texts the scanners do not read (any scalar at or
    /// above U+0300, U+00AD or U+00B8: see ``Scanner/isPlain(_:)``). Tests compare the two on generated texts.
    ///
    /// `Regex` matches grapheme clusters, `\d` is any number (`²`, `½`), `\s` includes U+0085 and U+00A0, `\b` is a
    /// Unicode (UAX #29) word boundary and `(?i)` folds ASCII letters only (`ſ`, `ı`, `K` do not fold).
    enum Reference {
        nonisolated(unsafe) static let principalARN =
            /arn:aws[A-Za-z-]*:(?:iam|sts)::\d{12}:(?:user|role|assumed-role|federated-user|root|group)[A-Za-z0-9+=,.@_\/-]*/
        nonisolated(unsafe) static let resourceARN = /arn:aws[A-Za-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:[A-Za-z0-9+=,.@_\/:*-]+/
        nonisolated(unsafe) static let ipv4 = /\b(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\b/
        nonisolated(unsafe) static let arnAccount = /arn:aws[A-Za-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/
        nonisolated(unsafe) static let accountField = /(?i)account[A-Za-z_]*"?\s*[:=]\s*"?(\d{12})\b/
        nonisolated(unsafe) static let marker =
            /(?i)vigil-sim-behaviour[^A-Za-z0-9]{1,6}([A-Za-z]+(?:-[A-Za-z]+)*(?:\/[A-Za-z]+(?:-[A-Za-z]+)*)?)/
        nonisolated(unsafe) static let negatedField =
            /"?[a-z_]*(malicious|suspicious|privileged|threat)[a-z_]*"?\s*[:=]\s*"?(false|no|none|null|0)\b/
        nonisolated(unsafe) static let negatedWord = /\b(not|non|no)[ -](malicious|suspicious|privileged|threat)/
        nonisolated(unsafe) static let routine = /\b(routine|known|expected|benign|clean|trusted)\b|no findings|"findings"\s*:\s*\[\]/
        nonisolated(unsafe) static let failure = /\b(failed|timed out|timeout|unavailable)\b/

        /// `String.contains` (a byte search in a plain text).
        static func contains(_ text: String, _ literal: String) -> Bool {
            Scanner.read(text) { $0.contains(literal) } ?? text.contains(literal)
        }

        static func principalARNs(in text: String) -> [String] {
            unique(text.matches(of: principalARN).map { trimTrailingPunctuation(String($0.output)) })
        }

        static func resourceARNs(in text: String) -> [String] {
            let principals = Set(principalARNs(in: text))
            return unique(text.matches(of: resourceARN).map { trimTrailingPunctuation(String($0.output)) }).filter { !principals.contains($0) }
        }

        /// IPv4 addresses as written, in order of appearance, duplicates kept (octets above 255 skipped).
        static func ipv4Matches(in text: String) -> [String] {
            var found: [String] = []
            for match in text.matches(of: ipv4) {
                let octets = [match.output.1, match.output.2, match.output.3, match.output.4].compactMap { Int($0) }
                guard octets.count == 4, octets.allSatisfy({ $0 <= 255 }) else { continue }
                found.append(String(match.output.0))
            }
            return found
        }

        static func accountIDs(in text: String) -> [String] {
            var found: [String] = []
            for match in text.matches(of: arnAccount) { found.append(String(match.output.1)) }
            for match in text.matches(of: accountField) { found.append(String(match.output.1)) }
            return unique(found)
        }

        static func behaviourMarker(inExpanded text: String) -> String? {
            text.firstMatch(of: marker).map { String($0.output.1).lowercased() }
        }

        /// Lower-cased text with negated threat words (`"malicious": false`, `not suspicious`) blanked out.
        static func withoutNegations(lowered: String) -> String {
            lowered.replacing(negatedField, with: " ").replacing(negatedWord, with: " ")
        }

        static func mentionsRoutine(lowered: String) -> Bool { lowered.contains(routine) }

        static func mentionsFailure(lowered: String) -> Bool { lowered.contains(failure) }

        static func evidenceIDs(in text: String, key: String) -> [String] {
            let pattern = try! Regex("\"\(key)\"\\s*:\\s*\"([^\"\\\\]{1,128})\"")
            return text.matches(of: pattern).compactMap { $0.output[1].substring.map(String.init) }
        }

        static func base64Runs(in text: String) -> [Substring] {
            var runs: [Substring] = []
            var start: String.Index?
            var index = text.startIndex
            func close(at end: String.Index) {
                if let s = start, text.distance(from: s, to: end) >= 16 { runs.append(text[s..<end]) }
                start = nil
            }
            while index < text.endIndex {
                let c = text[index]
                if c.isASCII, c.isLetter || c.isNumber || c == "+" || c == "/" || c == "-" || c == "_" {
                    if start == nil { start = index }
                } else {
                    close(at: index)
                }
                index = text.index(after: index)
            }
            close(at: text.endIndex)
            return runs
        }
    }
}
