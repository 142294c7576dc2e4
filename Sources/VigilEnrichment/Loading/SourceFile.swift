import VigilRules

/// A loader's input file: its bytes (gunzipped when gzip) and its lines.
enum SourceFile {
    static func bytes(_ path: String) throws(LoadError) -> [UInt8] {
        do { return try CloudTrailReader.contents(path: path) } catch {
            throw LoadError(code: .unreadableFile, message: error.description)
        }
    }

    /// The file's lines with their 1-based numbers, blank lines left out, a trailing CR removed.
    static func lines(_ path: String) throws(LoadError) -> [(number: Int, text: Substring)] {
        let text = String(decoding: try bytes(path), as: UTF8.self)
        var lines: [(number: Int, text: Substring)] = []
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.contains(where: { !$0.isWhitespace }) { lines.append((number, trimmed)) }
        }
        return lines
    }
}
