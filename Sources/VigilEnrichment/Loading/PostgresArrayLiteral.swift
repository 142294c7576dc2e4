/// Writes a `text[]` literal (`{"a","b"}`) with every element quoted and `"`/`\` escaped.
enum PostgresArrayLiteral {
    static func text(_ items: [String]) -> String {
        var out = "{"
        for (index, item) in items.enumerated() {
            if index > 0 { out += "," }
            out += "\""
            for character in item.unicodeScalars {
                if character == "\"" || character == "\\" { out += "\\" }
                out.unicodeScalars.append(character)
            }
            out += "\""
        }
        return out + "}"
    }
}
