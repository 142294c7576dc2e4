import Foundation
import VigilCore
import VigilRules

/// Turns CloudTrail events into the alerts `vigil demo` ingests: one `sigma` alert per event that a Sigma rule or a
/// built-in detection matches (the matching rules, with their authors, under `payload.vigil_detections`), and
/// benign noise (`siem` alerts of low severity): events of the data set that nothing matched and that are not attack
/// detonations, plus routine read-only calls generated from a fixed seed.
///
/// External ids start with `runTag`, so each demo run triages its own alerts while earlier runs' stay in the database.
struct DemoAlertBuilder {
    var runTag: String
    var ruleSet: RuleSet
    /// Benign alerts to add at most.
    var noise: Int

    /// The alerts, detections first in event-time order, noise spread evenly among them.
    func alerts(events: [JSONValue]) -> (detections: [JSONValue], noise: [JSONValue]) {
        var engine = RuleEngine(ruleSet: ruleSet)
        var detections: [JSONValue] = []
        var quiet: [JSONValue] = []
        for (index, event) in RuleTestRunner.timeOrdered(events).enumerated() {
            let hits = engine.evaluate(event: event)
            if !hits.isEmpty {
                detections.append(detection(event, hits: hits, index: index))
            } else if quiet.count < noise, !(event["userAgent"]?.stringValue ?? "").hasPrefix("stratus-red-team_") {
                quiet.append(noiseAlert(event, index: index))
            }
        }
        var generator = SplitMix64(seed: 7)
        var generated = 0
        while quiet.count < noise {
            quiet.append(routineCall(number: generated, random: &generator))
            generated += 1
        }
        return (detections, quiet)
    }

    /// Detections and noise interleaved, as a SIEM would forward them.
    static func interleave(_ detections: [JSONValue], _ noise: [JSONValue]) -> [JSONValue] {
        guard !detections.isEmpty else { return noise }
        var out: [JSONValue] = []
        let step = max(1, noise.count / detections.count)
        var rest = noise[...]
        for detection in detections {
            out.append(detection)
            out += rest.prefix(step)
            rest = rest.dropFirst(step)
        }
        return out + rest
    }

    private func detection(_ event: JSONValue, hits: [RuleHit], index: Int) -> JSONValue {
        let level = hits.compactMap { Severity(lenient: $0.level) }.max() ?? .medium
        var payload = event.objectValue ?? JSONObject()
        payload["vigil_detections"] = .array(hits.map { hit in
            [
                "rule_id": .string(hit.ruleID), "title": .string(hit.title), "level": .string(hit.level),
                "author": hit.author.map(JSONValue.string) ?? .null,
            ]
        })
        return alert(event, source: "sigma", kind: "sigma-match", severity: level, index: index, payload: .object(payload))
    }

    private func noiseAlert(_ event: JSONValue, index: Int) -> JSONValue {
        let severity: Severity = event["readOnly"]?.boolValue == true ? .informational : .low
        return alert(event, source: "siem", kind: "cloudtrail-activity", severity: severity, index: index, payload: event)
    }

    private func alert(_ event: JSONValue, source: String, kind: String, severity: Severity, index: Int, payload: JSONValue) -> JSONValue {
        let eventID = event["eventID"]?.stringValue ?? "event-\(index)"
        var object: JSONObject = [
            "source": .string(source),
            "external_id": .string("\(runTag):\(eventID)"),
            "kind": .string(kind),
            "severity": .string(severity.rawValue),
            "occurred_at": .string(event["eventTime"]?.stringValue ?? RFC3339.format(Date())),
        ]
        if let arn = event.value(atPath: "userIdentity.arn")?.stringValue { object["principal"] = .string(arn) }
        if let account = event["recipientAccountId"]?.stringValue ?? event.value(atPath: "userIdentity.accountId")?.stringValue {
            object["account"] = .string(account)
        }
        if let address = event["sourceIPAddress"]?.stringValue.flatMap({ IPAddress($0, leadingZeros: .decimal) }) {
            object["source_ip"] = .string(address.description)
        }
        object["payload"] = payload
        return .object(object)
    }

    /// A routine read-only call by one of a few service roles, as noise.
    private func routineCall(number: Int, random: inout SplitMix64) -> JSONValue {
        let calls = [
            ("ec2.amazonaws.com", "DescribeInstances"), ("s3.amazonaws.com", "ListBuckets"), ("s3.amazonaws.com", "GetObject"),
            ("cloudwatch.amazonaws.com", "GetMetricData"), ("sts.amazonaws.com", "GetCallerIdentity"),
            ("logs.amazonaws.com", "DescribeLogGroups"), ("kms.amazonaws.com", "Decrypt"),
        ]
        let roles = ["monitoring-agent", "backup-runner", "ci-deployer", "metrics-exporter"]
        let (service, name) = calls[Int(random.next() % UInt64(calls.count))]
        let role = roles[Int(random.next() % UInt64(roles.count))]
        let seconds = 1_720_000_000 + number * 37
        let event: JSONValue = [
            "eventVersion": "1.09", "eventSource": .string(service), "eventName": .string(name), "awsRegion": "us-east-1",
            "eventTime": .string(RFC3339.format(Date(timeIntervalSince1970: Double(seconds)))),
            "eventType": "AwsApiCall", "readOnly": true, "recipientAccountId": "111122223333",
            "sourceIPAddress": .string("10.0.\(random.next() % 4).\(10 + random.next() % 200)"),
            "userAgent": "aws-sdk-go-v2/1.30.3",
            "userIdentity": [
                "type": "AssumedRole", "accountId": "111122223333",
                "arn": .string("arn:aws:sts::111122223333:assumed-role/\(role)/i-0\(String(random.next() % 0xffffff, radix: 16))"),
            ],
            "eventID": .string("routine-\(number)"),
        ]
        return alert(event, source: "siem", kind: "cloudtrail-activity", severity: .informational, index: number, payload: event)
    }
}
