import VigilCore

extension HygieneReport {
    /// This report with the findings of `other` it lacks appended (two sessions that sanitised the same alert, one of
    /// them also the tool results).
    func union(_ other: HygieneReport) -> HygieneReport {
        var merged = self
        for finding in other.injectionFindings where !merged.injectionFindings.contains(finding) { merged.injectionFindings.append(finding) }
        for redaction in other.redactions where !merged.redactions.contains(redaction) { merged.redactions.append(redaction) }
        for field in other.truncatedFields where !merged.truncatedFields.contains(field) { merged.truncatedFields.append(field) }
        merged.invisibleCharactersRemoved = max(invisibleCharactersRemoved, other.invisibleCharactersRemoved)
        return merged
    }
}
