import Foundation
import VigilCore
import VigilPostgres

/// Completions laid out as the parallel arrays ``JobStore/completeSQL`` unnests: element i of every array belongs
/// to completion i. Values PostgreSQL cannot take as one-dimensional arrays of their own type travel as text and are
/// cast per row by the statement: guardrails and flags as array literals, evidence and triage as JSON text, the
/// confidence as its decimal text. The text columns travel in binary form (``PostgresTextArray``): a verdict's triage
/// document is kilobytes, which an array literal would make the client escape and the server parse character by
/// character.
struct CompletionColumns {
    var shards: [Int] = []
    var alertIDs: [UUID] = []
    var attempts: [Int] = []
    var decisions: [String] = []
    var confidences: [String?] = []
    var rationales: [String] = []
    var decidedBy: [String] = []
    var guardrails: [String] = []
    var flags: [String] = []
    var evidence: [String] = []
    var recommendedActions: [String?] = []
    var triage: [String] = []

    init(_ completions: [JobResult]) {
        shards.reserveCapacity(completions.count)
        alertIDs.reserveCapacity(completions.count)
        attempts.reserveCapacity(completions.count)
        decisions.reserveCapacity(completions.count)
        confidences.reserveCapacity(completions.count)
        rationales.reserveCapacity(completions.count)
        decidedBy.reserveCapacity(completions.count)
        guardrails.reserveCapacity(completions.count)
        flags.reserveCapacity(completions.count)
        evidence.reserveCapacity(completions.count)
        recommendedActions.reserveCapacity(completions.count)
        triage.reserveCapacity(completions.count)
        for completion in completions {
            let verdict = completion.verdict
            shards.append(completion.key.shard)
            alertIDs.append(completion.key.alertID)
            attempts.append(completion.attempt)
            decisions.append(verdict.decision.rawValue)
            confidences.append(verdict.confidence.map { "\($0)" })
            rationales.append(verdict.rationale)
            decidedBy.append(verdict.decidedBy)
            guardrails.append(Self.arrayLiteral(verdict.guardrails))
            flags.append(Self.arrayLiteral(verdict.flags))
            evidence.append(verdict.evidence.isEmpty ? "[]" : JSONValue.array(verdict.evidence).jsonText)
            recommendedActions.append(verdict.recommendedAction)
            triage.append(verdict.triage.isEmpty ? "{}" : JSONValue.object(verdict.triage).jsonText)
        }
    }

    /// `{"a","b"}`: a text[] literal, read back by the statement's `::text[]` cast.
    static func arrayLiteral(_ strings: [String]) -> String {
        "{" + strings.map(\.arrayLiteralElement).joined(separator: ",") + "}"
    }
}
