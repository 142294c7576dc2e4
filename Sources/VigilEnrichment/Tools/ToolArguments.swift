import Foundation
import VigilCore

/// A tool call's arguments, read and validated. Unknown properties are ignored; wrong types and out-of-range
/// values are ``ToolError``s naming the argument.
struct ToolArguments {
    let object: JSONObject

    init(_ value: JSONValue) throws(ToolError) {
        switch value {
        case .object(let object): self.object = object
        case .null: self.object = [:]
        default: throw ToolError(.invalidArgument, "arguments must be a JSON object")
        }
    }

    /// A non-empty string, nil when absent or null.
    func string(_ name: String) throws(ToolError) -> String? {
        guard let value = object[name], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw .invalid(name, "must be a string") }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        guard trimmed.count <= 2048 else { throw .invalid(name, "is too long") }
        return trimmed
    }

    /// An ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`), nil when absent.
    func arn(_ name: String) throws(ToolError) -> String? {
        guard let text = try string(name) else { return nil }
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", !parts[1].isEmpty, !parts[2].isEmpty, !parts[5].isEmpty,
            parts[4].isEmpty || parts[4].allSatisfy(\.isNumber) || parts[4] == "aws"
        else { throw .invalid(name, "must be an ARN such as arn:aws:iam::123456789012:user/alice") }
        return text
    }

    /// An IPv4 or IPv6 address in canonical form, nil when absent.
    func ipAddress(_ name: String) throws(ToolError) -> IPAddress? {
        guard let text = try string(name) else { return nil }
        guard let address = IPAddress(text, leadingZeros: .decimal) else { throw .invalid(name, "must be an IPv4 or IPv6 address") }
        return address
    }

    /// A whole number in `range`, `default` when absent.
    func integer(_ name: String, default value: Int, range: ClosedRange<Int>) throws(ToolError) -> Int {
        guard let raw = object[name], !raw.isNull else { return value }
        let number: Int
        switch raw {
        case .int(let n): number = Int(clamping: n)
        case .double(let d) where d.rounded() == d && abs(d) < 1e15: number = Int(d)
        case .string(let s) where Int(s) != nil: number = Int(s)!
        default: throw .invalid(name, "must be an integer")
        }
        guard range.contains(number) else { throw .invalid(name, "must be between \(range.lowerBound) and \(range.upperBound)") }
        return number
    }

    /// A number in `range`, `default` when absent.
    func number(_ name: String, default value: Double, range: ClosedRange<Double>) throws(ToolError) -> Double {
        guard let raw = object[name], !raw.isNull else { return value }
        let number: Double
        switch raw {
        case .int(let n): number = Double(n)
        case .double(let d): number = d
        case .string(let s) where Double(s) != nil: number = Double(s)!
        default: throw .invalid(name, "must be a number")
        }
        guard number.isFinite, range.contains(number) else {
            throw .invalid(name, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return number
    }

    /// A 12-digit AWS account id, nil when absent.
    func accountID(_ name: String) throws(ToolError) -> String? {
        guard let text = try string(name) else { return nil }
        guard text.count == 12, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw .invalid(name, "must be a 12-digit AWS account id") }
        return text
    }
}
