import Crypto
import Foundation

/// The `Vigil-Signature` header: HMAC-SHA256 over `"<timestamp>.<body>"`, as `t=<unix seconds>,v1=<hex>`.
///
/// Receivers recompute the HMAC with the shared secret over the timestamp from the header, a dot and the raw body,
/// compare in constant time, and refuse timestamps too far from their clock (replay).
public enum WebhookSignature {
    /// The header carrying the signature.
    public static let header = "Vigil-Signature"

    /// The header value for `body` sent at `timestamp` (seconds since 1970).
    public static func sign(body: [UInt8], timestamp: Int64, secret: WebhookSecret) -> String {
        "t=\(timestamp),v1=\(hex(mac(body: body, timestamp: timestamp, secret: secret)))"
    }

    /// Whether `header` is a valid signature of `body` under `secret`, made within `tolerance` seconds of `now`.
    public static func verify(header: String, body: [UInt8], secret: WebhookSecret, now: Int64, tolerance: Int64 = 300) -> Bool {
        var timestamp: Int64?
        var signatures: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int64(pair[1]) } else if pair[0] == "v1" { signatures.append(pair[1]) }
        }
        guard let timestamp, abs(now - timestamp) <= tolerance else { return false }
        let expected = mac(body: body, timestamp: timestamp, secret: secret)
        return signatures.contains { candidate in
            guard let bytes = unhex(candidate), bytes.count == expected.count else { return false }
            return zip(bytes, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }

    static func mac(body: [UInt8], timestamp: Int64, secret: WebhookSecret) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: secret.bytes))
        hmac.update(data: Array("\(timestamp).".utf8))
        hmac.update(data: body)
        return Array(hmac.finalize())
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
