import Foundation
import Testing
import VigilCore

@testable import VigilRules

/// Builds a one-rule set from a detection section written as YAML lines (indented by the helper).
func ruleSet(detection: String, placeholders: [String: [String]] = [:], id: String = "test-rule") throws -> RuleSet {
    let indented = detection.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n")
    let yaml = """
        title: Test rule
        id: \(id)
        author: Tester
        level: high
        tags: [attack.t1098]
        logsource:
            product: test
        detection:
        \(indented)
        """
    return try RuleSet(sources: [RuleSource(name: "test.yml", text: yaml)], options: RuleSetOptions(placeholders: placeholders))
}

/// Parses JSON text written in a test.
func event(_ json: String) -> JSONValue {
    do {
        return try JSONParser().parse(json)
    } catch {
        Issue.record("bad test JSON: \(error)")
        return .null
    }
}

/// True when the one rule of `detection` matches `json`.
func matches(_ detection: String, _ json: String, placeholders: [String: [String]] = [:]) throws -> Bool {
    !(try ruleSet(detection: detection, placeholders: placeholders).evaluate(event: event(json)).isEmpty)
}

/// The load errors of a rule text, or an empty list when it loads.
func loadErrors(_ yaml: String, name: String = "bad.yml") -> [RuleLoadError] {
    RuleSet.compile(sources: [RuleSource(name: name, text: yaml)]).1
}

/// `../shared/data` beside the package root, found from this file; missing data fails the calling test loudly.
func sharedData(_ relative: String, filePath: String = #filePath) throws -> String {
    var url = URL(fileURLWithPath: filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    let path = url.deletingLastPathComponent().appendingPathComponent("shared/data").appendingPathComponent(relative).path
    guard FileManager.default.fileExists(atPath: path) else {
        throw SharedDataMissing(path: path)
    }
    return path
}

struct SharedDataMissing: Error, CustomStringConvertible {
    var path: String
    var description: String { "shared test data missing at \(path) (expected ../shared/data beside the repository)" }
}
