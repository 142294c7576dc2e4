import Foundation
import Testing
import VigilCore

@testable import VigilRules

@Suite struct DetectionTests {
    @Test func mapsAreAndListsAreOr() throws {
        let detection = """
            selection:
                eventSource: iam.amazonaws.com
                eventName:
                    - CreateUser
                    - CreateRole
            condition: selection
            """
        #expect(try matches(detection, #"{"eventSource":"iam.amazonaws.com","eventName":"createrole"}"#))
        #expect(try !matches(detection, #"{"eventSource":"iam.amazonaws.com","eventName":"DeleteRole"}"#))
        #expect(try !matches(detection, #"{"eventSource":"ec2.amazonaws.com","eventName":"CreateRole"}"#))
    }

    @Test func listOfMapsIsOr() throws {
        let detection = "selection:\n    - a: 'x'\n      b: 'y'\n    - c: 'z'\ncondition: selection"
        #expect(try matches(detection, #"{"a":"x","b":"y"}"#))
        #expect(try matches(detection, #"{"c":"z"}"#))
        #expect(try !matches(detection, #"{"a":"x"}"#))
    }

    @Test func keywordsSearchTheWholeEvent() throws {
        let detection = "keywords:\n    - 'mimikatz'\n    - 'sekurlsa'\ncondition: keywords"
        #expect(try matches(detection, #"{"a":{"b":["x","run MIMIKATZ now"]}}"#))
        #expect(try !matches(detection, #"{"a":"clean"}"#))
        let all = "keywords:\n    '|all':\n        - 'alpha'\n        - 'beta'\ncondition: keywords"
        #expect(try matches(all, #"{"a":"alpha","b":{"c":"beta"}}"#))
        #expect(try !matches(all, #"{"a":"alpha"}"#))
    }

    @Test func nullMatchesAbsentOrNullAndEmptyStringMatchesEmpty() throws {
        let null = "selection:\n    errorCode: null\ncondition: selection"
        #expect(try matches(null, #"{"eventName":"x"}"#))
        #expect(try matches(null, #"{"errorCode":null}"#))
        #expect(try !matches(null, #"{"errorCode":"AccessDenied"}"#))
        let empty = "selection:\n    errorCode: ''\ncondition: selection"
        #expect(try matches(empty, #"{"errorCode":""}"#))
        #expect(try !matches(empty, #"{"eventName":"x"}"#))
    }

    @Test func dottedPathsReachNestedObjectsAndArrays() throws {
        let detection = "selection:\n    userIdentity.sessionContext.sessionIssuer.type: Role\ncondition: selection"
        #expect(try matches(detection, #"{"userIdentity":{"sessionContext":{"sessionIssuer":{"type":"Role"}}}}"#))
        #expect(try !matches(detection, #"{"userIdentity":{"type":"Role"}}"#))
        let arrays = "selection:\n    requestParameters.containerDefinitions.command|contains: 'CREDENTIALS'\ncondition: selection"
        #expect(try matches(arrays, #"{"requestParameters":{"containerDefinitions":[{"command":["sh","echo $CREDENTIALS"]}]}}"#))
        let dottedKey = "selection:\n    a.b.c: 'x'\ncondition: selection"
        #expect(try matches(dottedKey, #"{"a":{"b.c":"x"}}"#))
    }

    /// `contains` on an object or array matches its compact JSON text, as pySigma's flattened-table backends do.
    @Test func containsOnObjectsUsesJSONText() throws {
        let detection = "selection:\n    requestParameters|contains: 'Suspended'\ncondition: selection"
        #expect(try matches(detection, #"{"requestParameters":{"VersioningConfiguration":{"Status":"Suspended"}}}"#))
        let quoted = "selection:\n    requestParameters|contains: '\"Status\":\"Enabled\"'\ncondition: selection"
        #expect(try matches(quoted, #"{"requestParameters":{"Status":"Enabled"}}"#))
    }

    @Test func numbersAndBooleansCompareAsText() throws {
        #expect(try matches("selection:\n    port: 22\ncondition: selection", #"{"port":22}"#))
        #expect(try matches("selection:\n    port: '22'\ncondition: selection", #"{"port":22}"#))
        #expect(try matches("selection:\n    readOnly: false\ncondition: selection", #"{"readOnly":false}"#))
    }

    @Test func logsourceRestrictsRules() throws {
        let yaml = """
            title: CloudTrail only
            id: ct-only
            logsource: {product: aws, service: cloudtrail}
            detection:
                selection:
                    userAgent|contains: 'x'
                condition: selection
            """
        let set = try RuleSet(sources: [RuleSource(name: "r.yml", text: yaml)])
        let cloudTrail = event(#"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","userAgent":"x"}"#)
        #expect(set.evaluate(event: cloudTrail).map(\.ruleID) == ["ct-only"])
        let windowsYAML = yaml.replacingOccurrences(of: "{product: aws, service: cloudtrail}", with: "{product: windows}")
        let windows = try RuleSet(sources: [RuleSource(name: "w.yml", text: windowsYAML)])
        #expect(windows.evaluate(event: cloudTrail).isEmpty)
    }

    @Test func hitsCarryMetadataAndAuthor() throws {
        let set = try ruleSet(detection: "selection:\n    a: 'x'\ncondition: selection")
        let hits = set.evaluate(event: event(#"{"a":"x","eventID":"e-1"}"#))
        #expect(hits == [RuleHit(ruleID: "test-rule", title: "Test rule", level: "high", tags: ["attack.t1098"], author: "Tester", eventID: "e-1")])
    }

    /// The prefilter must never drop a rule that would match: compare indexed and unindexed evaluation.
    @Test func prefilterAgreesWithFullEvaluation() throws {
        let detection = """
            sel1:
                eventName: CreateUser
            sel2:
                eventSource: iam.amazonaws.com
                eventName|startswith: 'Attach'
            sel3:
                userAgent: 'x'
            condition: sel1 or sel2 or sel3
            """
        let set = try ruleSet(detection: detection)
        for json in [#"{"eventName":"createuser"}"#, #"{"eventSource":"iam.amazonaws.com","eventName":"AttachRolePolicy"}"#,
                     #"{"eventName":"Other","userAgent":"X"}"#, #"{"eventName":["CreateUser"]}"#, #"{"eventName":"Nope"}"#] {
            let e = event(json)
            #expect(set.evaluate(event: e).isEmpty == !set.rules[0].matches(e), "\(json)")
        }
    }
}
