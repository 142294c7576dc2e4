/// Removes control and invisible Unicode from untrusted text, and recovers text hidden in invisible characters.
///
/// Removed: C0/C1 controls except tab and line feed (CR becomes LF); every format character (general category Cf:
/// zero-width space/joiners, bidi embeddings, overrides and isolates, word joiner, BOM, soft hyphen, tag characters
/// U+E0000–E007F, interlinear annotation marks, …); variation selectors; private-use and noncharacter code points;
/// Hangul fillers and other blank-looking letters. Line and paragraph separators become LF; other space separators
/// become a plain space.
///
/// Text smuggled in tag characters (U+E0020–E007E mirror ASCII) or in variation selectors (one byte each) is
/// decoded into ``Result/hiddenText`` so the injection detector can read what a model would.
public enum UnicodeScrubber {
    public struct Result: Sendable, Hashable {
        /// The cleaned text.
        public var text: String
        /// How many scalars were removed or replaced.
        public var removedCount: Int
        /// Text decoded from tag characters or variation selectors, if any was present.
        public var hiddenText: String?
    }

    /// Scrubs `text`. Pure ASCII without controls is returned unchanged without copying.
    public static func scrub(_ text: String) -> Result {
        if isCleanASCII(text) { return Result(text: text, removedCount: 0, hiddenText: nil) }
        var out = String.UnicodeScalarView()
        var removed = 0
        var tagBytes: [UInt8] = []
        var selectorBytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            let v = scalar.value
            switch v {
            case 0x09, 0x0A:
                out.append(scalar)
                continue
            case 0x0D, 0x2028, 0x2029:
                out.append("\n")
                removed += 1
                continue
            case 0xE0020...0xE007E:
                tagBytes.append(UInt8(v - 0xE0000))
                removed += 1
                continue
            case 0xFE00...0xFE0F:
                selectorBytes.append(UInt8(v - 0xFE00))
                removed += 1
                continue
            case 0xE0100...0xE01EF:
                selectorBytes.append(UInt8(v - 0xE0100 + 16))
                removed += 1
                continue
            default:
                break
            }
            if isRemoved(scalar) {
                removed += 1
            } else if v != 0x20, scalar.properties.generalCategory == .spaceSeparator {
                out.append(" ")
                removed += 1
            } else {
                out.append(scalar)
            }
        }
        var hidden: [String] = []
        if let tagText = printable(tagBytes) { hidden.append(tagText) }
        if let selectorText = printable(selectorBytes) { hidden.append(selectorText) }
        return Result(text: String(out), removedCount: removed, hiddenText: hidden.isEmpty ? nil : hidden.joined(separator: "\n"))
    }

    /// Whether `text` is printable ASCII plus tab and line feed only.
    @inline(__always)
    static func isCleanASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 || $0 == 0x0A }
    }

    static func isRemoved(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        switch v {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x180B...0x180F, 0x034F, 0x17B4, 0x17B5: return true
        case 0xFFF9...0xFFFC: return true
        default: break
        }
        if v & 0xFFFE == 0xFFFE || (0xFDD0...0xFDEF).contains(v) { return true }
        switch scalar.properties.generalCategory {
        case .format, .privateUse, .unassigned, .control, .surrogate: return true
        default: return false
        }
    }

    /// Hidden bytes as text when they read as at least two printable characters.
    static func printable(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 2, let text = String(validating: bytes, as: UTF8.self) else { return nil }
        return text.unicodeScalars.contains { $0.properties.isAlphabetic } ? text : nil
    }
}
