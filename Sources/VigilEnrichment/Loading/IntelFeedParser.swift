import Foundation
import VigilCore

/// Reads threat-intelligence feeds: a plain list of addresses and CIDR blocks (one a line; `#` starts a comment),
/// or CSV with a header naming its columns: the indicator (`indicator`, `ip`, `ip_address`, `network` or `cidr`),
/// and optionally `score`, `source`, `first_seen`, `last_seen`. A bare address is stored as a /32 or /128 network.
public enum IntelFeedParser {
    /// How a feed is stored.
    public struct Options: Sendable {
        /// The feed's name (default: the file name without extensions).
        public var feed: String?
        /// How long its indicators stay valid after each load; nil: no expiry.
        public var expiresIn: Duration?

        public init(feed: String? = nil, expiresIn: Duration? = .seconds(30 * 86_400)) {
            self.feed = feed
            self.expiresIn = expiresIn
        }
    }

    static let indicatorColumns: Set<String> = ["indicator", "ip", "ip_address", "network", "cidr", "address"]

    static func rows(path: String, options: Options, now: Date) throws -> StagedRows {
        let feed = options.feed ?? URL(fileURLWithPath: path).lastPathComponent.split(separator: ".").first.map(String.init) ?? path
        let expires = options.expiresIn.map { RFC3339.format(now.addingTimeInterval(TimeInterval($0.components.seconds))) }
        var staged = StagedRows()
        var header: [String]?
        for (index, line) in try SourceFile.lines(path).enumerated() {
            let content = line.text.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            guard !content.isEmpty else { continue }
            if RecordField.hasRawNUL(content) {
                staged.rejected.append(LoadRejection(file: path, position: "line \(line.number)", reason: RecordField.nulRejection.message))
                continue
            }
            if header == nil, index == 0 || staged.read == 0, content.contains(",") {
                let names = content.split(separator: ",", omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces).lowercased()
                }
                if names.contains(where: indicatorColumns.contains) {
                    header = names
                    continue
                }
            }
            switch row(content, header: header, feed: feed, expires: expires) {
            case .success(let row): staged.rows.append(row)
            case .failure(let reason): staged.rejected.append(LoadRejection(file: path, position: "line \(line.number)", reason: reason.message))
            }
        }
        return staged
    }

    /// One indicator as a row in ``LoadTarget/intel`` column order.
    static func row(_ content: String, header: [String]?, feed: String, expires: String?) -> Result<[String?], RowRejection> {
        var values: [String: String] = [:]
        if let header {
            let cells = content.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == header.count else { return .failure(RowRejection("\(cells.count) columns where the header has \(header.count)")) }
            for (name, cell) in zip(header, cells) where !cell.isEmpty {
                values[name] = cell.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        } else {
            values["indicator"] = content.split(whereSeparator: \.isWhitespace).first.map(String.init)
        }
        guard let indicator = indicatorColumns.lazy.compactMap({ values[$0] }).first else {
            return .failure(RowRejection("indicator: missing"))
        }
        guard let network = network(indicator) else { return .failure(RowRejection("indicator: not an IP address or CIDR block")) }
        var score: String?
        if let text = values["score"] {
            guard let number = Double(text), number.isFinite else { return .failure(RowRejection("score: not a number")) }
            score = String(number)
        }
        var times: [String: String] = [:]
        for column in ["first_seen", "last_seen"] {
            guard let text = values[column] else { continue }
            guard let time = RecordField.timestamp(text) ?? RecordField.timestamp(text + "T00:00:00Z") else {
                return .failure(RowRejection("\(column): not an RFC 3339 time or date"))
            }
            times[column] = time
        }
        return .success([feed, network.description, score, values["source"], times["first_seen"], times["last_seen"], expires])
    }

    /// An address (as a one-address network) or a CIDR block; IPv4 parts with leading zeros read as decimal.
    static func network(_ text: String) -> IPNetwork? {
        if let network = IPNetwork(text) { return network }
        guard let address = IPAddress(text, leadingZeros: .decimal) else { return nil }
        return IPNetwork(address: address, prefixLength: address.family.bitWidth)
    }
}
