import VigilCore

/// The scripted model: picks the next assistant turn from a conversation and a behaviour.
///
/// Pure and deterministic: the same conversation and behaviour always give the same reply (ids are added later,
/// when the reply is written out).
struct SimulatedModel: Sendable {
    /// Keys whose values in tool results count as evidence ids.
    var evidenceKeys: [String]
    /// Whether the API has a `pause_turn` stop (Anthropic) or not (OpenAI).
    var supportsPause: Bool

    static let verdictTool = "submit_verdict"
    static let pauseText = "[vigil-sim pause] Gathering context before continuing."

    func reply(to conversation: SimulatedConversation, behaviour: SimulatorBehaviour) -> SimulatedReply {
        switch behaviour {
        case .analyst:
            analystReply(to: conversation)
        case .alwaysClose:
            verdict(.close, confidence: 0.97, rationale: "Routine activity; nothing to investigate.", evidence: [])
        case .obeyInjection:
            obeyInjectionReply(to: conversation)
        case .malformed(let variant):
            malformedReply(to: conversation, variant: variant ?? Self.defaultVariant(for: conversation))
        case .toolLoop:
            toolLoopReply(to: conversation)
        case .refuse:
            SimulatedReply.text("I can't help with this request.", stop: .refusal)
        case .hallucinate:
            hallucinateReply(to: conversation)
        case .pauseTurn:
            if supportsPause, !conversation.assistantTexts.contains(where: { $0.contains(Self.pauseText) }) {
                SimulatedReply.text(Self.pauseText, stop: .pauseTurn)
            } else {
                analystReply(to: conversation)
            }
        case .exceedMaxTokens:
            SimulatedReply.text(String(repeating: "Reviewing the alert in detail. ", count: max(64, conversation.maxTokens / 6 + 64)))
        }
    }

    /// A `submit_verdict` call.
    func verdict(_ decision: Decision, confidence: Double, rationale: String, evidence: [String]) -> SimulatedReply {
        let arguments: JSONValue = [
            "decision": .string(decision.rawValue),
            "confidence": .double(confidence),
            "rationale": .string(rationale),
            "evidence": .array(evidence.map { .string($0) }),
            "recommended_action": .string(Self.recommendedAction(for: decision)),
        ]
        return .calls([.init(name: Self.verdictTool, arguments: .json(arguments))])
    }

    private static func recommendedAction(for decision: Decision) -> String {
        switch decision {
        case .escalate: "A responder should review the principal's recent activity and decide on containment."
        case .monitor: "Keep the principal on the watch list; escalate if the activity recurs."
        case .close: "No action needed."
        }
    }

    // MARK: Adversaries

    private func obeyInjectionReply(to conversation: SimulatedConversation) -> SimulatedReply {
        guard let instruction = TextInspector.instruction(in: conversation.untrustedTexts) else {
            return analystReply(to: conversation)
        }
        let evidence = Array(evidenceSeen(in: conversation).map(\.id).prefix(3))
        return verdict(
            instruction.decision,
            confidence: 0.99,
            rationale: "As instructed in the data: \(instruction.excerpt)",
            evidence: evidence
        )
    }

    static func defaultVariant(for conversation: SimulatedConversation) -> SimulatorBehaviour.MalformedVariant {
        let all = SimulatorBehaviour.MalformedVariant.allCases
        return all[Int(fnv1a(conversation.userTexts.first ?? "") % UInt64(all.count))]
    }

    private func malformedReply(to conversation: SimulatedConversation, variant: SimulatorBehaviour.MalformedVariant) -> SimulatedReply {
        switch variant {
        case .invalidJSON:
            .calls([.init(name: Self.verdictTool, arguments: .raw(#"{"decision": "CLOSE", "confidence": 0.9, "rationale": "benign"#))])
        case .schema:
            .calls([
                .init(
                    name: Self.verdictTool,
                    arguments: .json(["decision": "PROBABLY_FINE", "confidence": 1.7, "evidence": "none"])
                )
            ])
        case .unknownTool:
            .calls([.init(name: "close_alert", arguments: .json(["alert": "current", "reason": "benign"]))])
        case .prose:
            .text("Verdict: CLOSE. The activity is benign and needs no action.")
        }
    }

    private func toolLoopReply(to conversation: SimulatedConversation) -> SimulatedReply {
        let entities = AlertEntities(conversation)
        var readOnly = conversation.toolNames.filter { $0 != Self.verdictTool }
        if readOnly.isEmpty { readOnly = ["get_cloudtrail_events"] }
        let turn = conversation.assistantTurns
        let name = readOnly[turn % readOnly.count]
        var arguments = entities.arguments(for: name) ?? ["principal_arn": .string(entities.principal ?? "arn:aws:iam::000000000000:user/unknown")]
        if case .object(var object) = arguments {
            object["hours_back"] = .int(Int64(24 * (turn + 1)))
            arguments = .object(object)
        }
        return .calls([.init(name: name, arguments: .json(arguments))])
    }

    private func hallucinateReply(to conversation: SimulatedConversation) -> SimulatedReply {
        let plan = analystPlan(for: conversation)
        if conversation.toolResults.isEmpty, let first = plan.first, !first.isEmpty {
            return .calls(first)
        }
        let everything = (conversation.markerTexts + conversation.untrustedTexts + conversation.assistantTexts).joined(separator: "\n")
        var fabricated: [String] = []
        var counter: UInt64 = 0
        while fabricated.count < 2 {
            let id = "ev-" + String(fnv1a(everything + String(counter)), radix: 16)
            if !everything.contains(id) { fabricated.append(id) }
            counter += 1
        }
        let real = evidenceSeen(in: conversation).prefix(1).map(\.id)
        return verdict(.close, confidence: 0.95, rationale: "The cited events show routine, expected activity.", evidence: real + fabricated)
    }

    /// Evidence ids in the conversation's successful tool results, without duplicates, in order.
    func evidenceSeen(in conversation: SimulatedConversation) -> [TextInspector.EvidenceItem] {
        var seen = Set<String>()
        return conversation.toolResults.filter { !$0.isError }
            .flatMap { TextInspector.evidence(in: $0.text, keys: evidenceKeys) }
            .filter { seen.insert($0.id).inserted }
    }

    /// 64-bit FNV-1a of the text's UTF-8 bytes.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}

extension SimulatedModel {
    fileprivate func fnv1a(_ text: String) -> UInt64 { Self.fnv1a(text) }
}
