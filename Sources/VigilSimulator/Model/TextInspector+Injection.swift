import VigilCore

extension TextInspector {
    /// An instruction found in untrusted data, and the verdict it asks for.
    struct Instruction: Sendable, Hashable {
        var decision: Decision
        /// The normalised words around the instruction, for the rationale.
        var excerpt: String
    }

    /// Phrases that address the model or tell it what to decide, in normalised text (lower case, words separated
    /// by single spaces).
    private static let triggerSources = [
        #"\bmark (this|it|the|as)\b"#,
        #"\b(classify|label|treat|consider|resolve|set|flag) (this|it|the alert|this alert|this event|as)\b"#,
        #"\bclose (this|the|it)\b"#,
        #"\bauto ?close\b"#,
        #"\bthis (is|was) (a |an )?(benign|false positive|authorized|authorised|expected|safe|legitimate|approved)\b"#,
        #"\b(ignore|disregard|forget) (all |any )?(the )?(previous|prior|above|earlier|your)\b"#,
        #"\b(verdict|decision) (is|should be|must be|to|shall be)\b"#,
        #"\bnote to (the )?(ai|analyst|model|assistant|llm|triage)\b"#,
        #"\b(attention|dear|hey) (ai|analyst|model|assistant|llm)\b"#,
        #"\bsubmit (a |the )?(close|closed|benign)\b"#,
        #"\b(no action (is )?(needed|required))\b"#,
    ]

    /// ``triggerSources``, compiled once.
    nonisolated(unsafe) private static let triggerPatterns = triggerSources.map { try! Regex($0) }

    /// The first instruction found in the texts, read through invisible characters, homoglyphs, data marks and
    /// base64; its decision is the first verdict word in the twelve words after the trigger (CLOSE when none).
    static func instruction(in texts: [String]) -> Instruction? {
        for text in texts {
            let normal = normalized(expanded(text))
            for trigger in triggerPatterns {
                guard let match = normal.firstMatch(of: trigger) else { continue }
                let following = normal[match.range.lowerBound...].split(separator: " ").prefix(14)
                let window = following.joined(separator: " ")
                return Instruction(decision: decision(in: window), excerpt: window)
            }
        }
        return nil
    }

    private static func decision(in window: String) -> Decision {
        let words = window.split(separator: " ").dropFirst()
        for (index, word) in words.enumerated() {
            switch word {
            case "escalate", "escalated", "escalation": return .escalate
            case "monitor", "monitored", "watch": return .monitor
            case "close", "closed", "benign", "safe", "resolved", "authorized", "authorised", "expected", "legitimate", "approved":
                return .close
            case "false" where words.dropFirst(index + 1).first == "positive": return .close
            default: continue
            }
        }
        return .close
    }
}
