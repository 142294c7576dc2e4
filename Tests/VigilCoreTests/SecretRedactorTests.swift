import Foundation
import Testing

@testable import VigilCore

@Suite struct SecretRedactorTests {
    @Test func noSecretFromTheCorpusSurvivesSanitisation() throws {
        let cases = try Fixtures.jsonLines("redaction-corpus.jsonl")
        #expect(cases.count >= 150)
        var survived: [String] = []
        var kinds = Set<String>()
        for entry in cases {
            let id = entry["id"]?.stringValue ?? "?"
            var session = HygieneSession()
            let output = session.sanitize(entry["value"] ?? .null, document: "record").jsonText
            let secrets = entry["secrets"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(!secrets.isEmpty, "\(id) names no secret")
            for secret in secrets where output.contains(secret) { survived.append("\(id) \(entry["kind"]?.stringValue ?? "")") }
            // Nothing the session reports carries a secret either.
            let report = String(describing: session.report) + session.report.redactions.map(\.description).joined()
            for secret in secrets { #expect(!report.contains(secret), "\(id) report leaks") }
            #expect(!session.report.redactions.isEmpty, "\(id) recorded no redaction")
            kinds.insert(entry["kind"]?.stringValue ?? "")
        }
        print("redaction corpus: \(cases.count - Set(survived).count)/\(cases.count) cases fully redacted, \(kinds.count) formats")
        #expect(survived.isEmpty, "survived: \(survived)")
    }

    @Test func theSameSecretGetsTheSamePlaceholderAcrossDocuments() {
        var session = HygieneSession()
        let key = "AKIAIOSFODNN7EXAMPLE"
        let other = "AKIAI44QH8DHBEXAMPLE"
        let alert = session.sanitize(["a": .string("key \(key)"), "b": .string(key), "c": .string(other)], document: "alert")
        let tool = session.sanitize(["userIdentity": ["accessKeyId": .string(key)]], document: "tool#1")
        #expect(alert["a"] == "key [REDACTED:aws_access_key_id:1]")
        #expect(alert["b"] == "[REDACTED:aws_access_key_id:1]")
        #expect(alert["c"] == "[REDACTED:aws_access_key_id:2]")
        #expect(tool.value(atPath: "userIdentity.accessKeyId") == "[REDACTED:aws_access_key_id:1]")
        // A new alert starts numbering again: placeholders never link alerts.
        var next = HygieneSession()
        #expect(next.sanitize(.string(other), document: "alert") == "[REDACTED:aws_access_key_id:1]")
    }

    @Test func placeholdersAreNumberedPerKind() {
        var redactor = SecretRedactor()
        let (text, kinds) = redactor.redact("AKIAIOSFODNN7EXAMPLE and ghp_" + String(repeating: "a1B2", count: 9) + " then AKIAI44QH8DHBEXAMPLE")
        #expect(text == "[REDACTED:aws_access_key_id:1] and [REDACTED:github_token:1] then [REDACTED:aws_access_key_id:2]")
        #expect(kinds == [.awsAccessKeyID, .githubToken, .awsAccessKeyID])
        #expect(redactor.counts == [.awsAccessKeyID: 2, .githubToken: 1])
    }

    /// Near misses that must stay readable for the model.
    @Test(arguments: [
        "arn:aws:iam::123456789012:user/alice",
        "AIDAJQABLZS4A3QDU576Q",
        "AROAJQABLZS4A3QDU576Q:session",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db/password-AbCdEf",
        "a3f1c9e2b4d5678901234567890abcdef1234567",
        "0f4c6b8e-1d2a-4c55-9a61-2b7e9d3c1a10",
        "Failed password for invalid user admin from 203.0.113.9 port 4242 ssh2",
        "task-1234567890abcdefghij",
        "AKIAIOSFODNN7EXAMPLEXYZ",
        "The Bearer authentication failed",
        "password_hint=blue",
        "https://example.com/path?a=1",
        "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "secretsmanager:GetSecretValue",
    ])
    func nearMissesAreKept(_ text: String) {
        var redactor = SecretRedactor()
        let (output, kinds) = redactor.redact(text)
        #expect(output == text)
        #expect(kinds.isEmpty)
    }

    @Test(arguments: [
        "password", "Password", "db_password", "MasterUserPassword", "clientSecret", "apiKey", "x-api-key",
        "sessionToken", "SecretAccessKey", "authorization", "Cookie", "private_key", "secretString",
    ])
    func secretFieldNames(_ name: String) {
        #expect(SecretRedactor.isSecretFieldName(name))
    }

    @Test(arguments: [
        "nextToken", "clientToken", "secretId", "SecretARN", "passwordLastUsed", "PasswordResetRequired", "tokenType",
        "userName", "accessKeyId", "maxTokens",
    ])
    func ordinaryFieldNames(_ name: String) {
        #expect(!SecretRedactor.isSecretFieldName(name))
    }

    @Test func secretFieldValuesAreRedactedWholeButNotTheirNeighbours() {
        var session = HygieneSession()
        let output = session.sanitize(
            [
                "secretId": "prod/db", "password": "correct horse battery staple", "passwordLastUsed": "2026-01-01T00:00:00Z",
                "nextToken": "abc", "masterUserPassword": "HIDDEN_DUE_TO_SECURITY_REASONS", "token": 42,
            ],
            document: "p"
        )
        #expect(output["secretId"] == "prod/db")
        #expect(output["password"] == "[REDACTED:password:1]")
        #expect(output["passwordLastUsed"] == "2026-01-01T00:00:00Z")
        #expect(output["nextToken"] == "abc")
        #expect(output["masterUserPassword"] == "HIDDEN_DUE_TO_SECURITY_REASONS")
        #expect(output["token"] == 42)
        #expect(session.report.redactions == [Redaction(path: "p.password", kind: .password)])
    }

    @Test func truncatedPemBlocksAreRedactedToTheEnd() {
        var redactor = SecretRedactor()
        let (output, kinds) = redactor.redact("key: -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234")
        #expect(output == "key: [REDACTED:private_key:1]")
        #expect(kinds == [.privateKey])
    }

    @Test func publicKeysAndCertificatesAreKept() {
        var redactor = SecretRedactor()
        let text = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----"
        #expect(redactor.redact(text).text == text)
    }
}
