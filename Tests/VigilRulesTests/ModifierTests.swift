import Testing
import VigilCore

@testable import VigilRules

/// One test per modifier of the Sigma specification (appendix "Modifiers"), table-driven where it has examples.
@Suite struct ModifierTests {
    @Test(arguments: [
        ("CommandLine|contains: 'whoami'", #"{"CommandLine":"cmd /c WHOAMI /all"}"#, true),
        ("CommandLine|contains: 'whoami'", #"{"CommandLine":"cmd /c id"}"#, false),
        ("Image|startswith: 'C:\\Windows\\'", #"{"Image":"c:\\windows\\system32\\cmd.exe"}"#, true),
        ("Image|startswith: 'C:\\Windows\\'", #"{"Image":"D:\\Windows\\x.exe"}"#, false),
        ("Image|endswith: '\\cmd.exe'", #"{"Image":"C:\\Windows\\System32\\CMD.EXE"}"#, true),
        ("Image|endswith: '\\cmd.exe'", #"{"Image":"C:\\cmd.exe.bak"}"#, false),
    ])
    func stringModifiers(item: String, json: String, expected: Bool) throws {
        #expect(try matches("selection:\n    \(item)\ncondition: selection", json) == expected)
    }

    @Test func allRequiresEveryValue() throws {
        let detection = "selection:\n    CommandLine|contains|all:\n        - '-enc'\n        - 'hidden'\ncondition: selection"
        #expect(try matches(detection, #"{"CommandLine":"powershell -w hidden -enc AAA"}"#))
        #expect(try !matches(detection, #"{"CommandLine":"powershell -enc AAA"}"#))
    }

    @Test func existsTrueAndFalse() throws {
        #expect(try matches("selection:\n    errorCode|exists: true\ncondition: selection", #"{"errorCode":"AccessDenied"}"#))
        #expect(try !matches("selection:\n    errorCode|exists: true\ncondition: selection", #"{"eventName":"x"}"#))
        #expect(try matches("selection:\n    errorCode|exists: false\ncondition: selection", #"{"eventName":"x"}"#))
    }

    @Test func casedMatchesCase() throws {
        let detection = "selection:\n    userAgent|cased: 'Boto3'\ncondition: selection"
        #expect(try matches(detection, #"{"userAgent":"Boto3"}"#))
        #expect(try !matches(detection, #"{"userAgent":"boto3"}"#))
    }

    @Test func neqNegatesTheItem() throws {
        let detection = "selection:\n    eventName: 'X'\n    errorCode|neq: 'AccessDenied'\ncondition: selection"
        #expect(try matches(detection, #"{"eventName":"X","errorCode":"Throttling"}"#))
        #expect(try !matches(detection, #"{"eventName":"X","errorCode":"accessdenied"}"#))
    }

    @Test(arguments: [
        ("arn|re: '.+:assumed-role/aws:.+'", #"{"arn":"arn:aws:sts::1:assumed-role/aws:ec2/i-1"}"#, true),
        ("arn|re: '.+:assumed-role/aws:.+'", #"{"arn":":assumed-role/aws:"}"#, false),
        ("arn|re: '^arn:aws:iam::[0-9]{12}:root$'", #"{"arn":"arn:aws:iam::123456789012:root"}"#, true),
        ("arn|re: '^arn:aws:iam::[0-9]{12}:root$'", #"{"arn":"arn:aws:iam::1234:root"}"#, false),
        ("arn|re: 'ROOT'", #"{"arn":"arn:aws:iam::1:root"}"#, false),
        ("arn|re|i: 'ROOT'", #"{"arn":"arn:aws:iam::1:root"}"#, true),
        ("text|re: '^b'", #"{"text":"a\nb"}"#, false),
        ("text|re|m: '^b'", #"{"text":"a\nb"}"#, true),
        ("text|re: 'a.b'", #"{"text":"a\nb"}"#, false),
        ("text|re|s: 'a.b'", #"{"text":"a\nb"}"#, true),
    ])
    func regularExpressions(item: String, json: String, expected: Bool) throws {
        #expect(try matches("selection:\n    \(item)\ncondition: selection", json) == expected)
    }

    /// The specification's examples: `base64` of `http://` and the three `base64offset` forms.
    @Test func base64AndOffsets() throws {
        let set = try ruleSet(detection: "selection:\n    data|base64offset|contains: 'http://'\ncondition: selection")
        let tests = set.rules[0].detections[0].groups[0][0].tests
        let texts = tests.compactMap { test -> String? in if case .string(let m) = test { String(decoding: m.needle, as: UTF8.self) } else { nil } }
        #expect(texts == ["ahr0cdovl", "h0dha6ly", "odhrwoi8v"])
        #expect(try matches("selection:\n    data|base64: 'http://'\ncondition: selection", #"{"data":"aHR0cDovLw=="}"#))
        #expect(try matches("selection:\n    data|base64offset|contains: 'http://'\ncondition: selection", #"{"data":"xxaHR0cDovL2V4YW1wbGU="}"#))
    }

    @Test(arguments: [
        ("data|wide|base64: 'ping'", #"{"data":"cABpAG4AZwA="}"#),
        ("data|utf16le|base64: 'ping'", #"{"data":"cABpAG4AZwA="}"#),
        ("data|utf16be|base64: 'ping'", #"{"data":"AHAAaQBuAGc="}"#),
        ("data|utf16|base64: 'ping'", #"{"data":"//5wAGkAbgBnAA=="}"#),
    ])
    func utf16Encodings(item: String, json: String) throws {
        #expect(try matches("selection:\n    \(item)\ncondition: selection", json))
    }

    @Test func windashExpandsDashes() throws {
        let detection = "selection:\n    CommandLine|windash|contains: ' -exec '\ncondition: selection"
        for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
            #expect(try matches(detection, #"{"CommandLine":"x.exe \#(dash)exec y"}"#))
        }
        #expect(try !matches(detection, #"{"CommandLine":"x.exe +exec y"}"#))
    }

    @Test(arguments: [
        ("10.0.0.0/8", "10.200.3.4", true), ("10.0.0.0/8", "11.0.0.1", false), ("192.168.1.0/24", "192.168.1.255", true),
        ("2001:db8::/32", "2001:db8:1::1", true), ("2001:db8::/32", "2001:db9::1", false), ("::ffff:0:0/96", "10.0.0.1", false),
        ("fe80::/10", "FE80::1%eth0", true),
    ])
    func cidr(network: String, address: String, expected: Bool) throws {
        #expect(try matches("selection:\n    ip|cidr: '\(network)'\ncondition: selection", #"{"ip":"\#(address)"}"#) == expected)
    }

    @Test(arguments: [
        ("lt", 10, 9, true), ("lt", 10, 10, false), ("lte", 10, 10, true), ("gt", 10, 11, true), ("gt", 10, 10, false),
        ("gte", 10, 10, true), ("gte", 10, 9, false),
    ])
    func numericComparisons(modifier: String, bound: Int, value: Int, expected: Bool) throws {
        #expect(try matches("selection:\n    bytes|\(modifier): \(bound)\ncondition: selection", #"{"bytes":\#(value)}"#) == expected)
    }

    @Test func fieldReference() throws {
        let detection = "selection:\n    userIdentity.userName|fieldref: requestParameters.userName\ncondition: selection"
        #expect(try matches(detection, #"{"userIdentity":{"userName":"Bob"},"requestParameters":{"userName":"bob"}}"#))
        #expect(try !matches(detection, #"{"userIdentity":{"userName":"bob"},"requestParameters":{"userName":"alice"}}"#))
        let contains = "selection:\n    arn|fieldref|contains: name\ncondition: selection"
        #expect(try matches(contains, #"{"arn":"arn:aws:iam::1:user/bob","name":"bob"}"#))
    }

    @Test func expandNeedsConfiguredPlaceholders() throws {
        let detection = "selection:\n    user|expand: '%admins%'\ncondition: selection"
        #expect(try matches(detection, #"{"user":"root"}"#, placeholders: ["admins": ["root", "admin"]]))
        #expect(try !matches(detection, #"{"user":"bob"}"#, placeholders: ["admins": ["root", "admin"]]))
        #expect(throws: RuleLoadFailure.self) { try ruleSet(detection: detection) }
    }

    @Test(arguments: [
        ("minute", 45), ("hour", 11), ("day", 10), ("week", 28), ("month", 7), ("year", 2023),
    ])
    func timeParts(modifier: String, value: Int) throws {
        let json = #"{"eventTime":"2023-07-10T11:45:23Z"}"#
        #expect(try matches("selection:\n    eventTime|\(modifier): \(value)\ncondition: selection", json))
        #expect(try !matches("selection:\n    eventTime|\(modifier): \(value + 1)\ncondition: selection", json))
    }

    @Test func modifiersApplyInWrittenOrder() throws {
        // base64 then contains: wildcards around the encoded text; contains then base64: base64 of a wildcard, rejected.
        #expect(try matches("selection:\n    data|base64|contains: 'abc'\ncondition: selection", #"{"data":"xxYWJjyy"}"#))
        #expect(throws: RuleLoadFailure.self) { try ruleSet(detection: "selection:\n    data|contains|base64: 'abc'\ncondition: selection") }
    }

    @Test(arguments: [
        "selection:\n    f|unknownmod: 'x'\ncondition: selection",
        "selection:\n    f|re: '('\ncondition: selection",
        "selection:\n    f|cidr: '10.0.0.0/33'\ncondition: selection",
        "selection:\n    f|gt: 'many'\ncondition: selection",
        "selection:\n    f|i: 'x'\ncondition: selection",
        "selection:\n    f|contains|re: 'x'\ncondition: selection",
        "selection:\n    f|all: 'x'\ncondition: selection",
        "selection:\n    f|exists: 'yes'\ncondition: selection",
    ])
    func invalidModifiersAreRejected(detection: String) {
        #expect(throws: RuleLoadFailure.self) { try ruleSet(detection: detection) }
    }
}
