/// What a load did.
///
/// `read == loaded + duplicates + rejected.count`: every record read is either new, already there (or, for intel
/// and GuardDuty, refreshed in place), or rejected.
public struct LoadSummary: Sendable, Hashable, CustomStringConvertible {
    /// Records read from the files.
    public var read = 0
    /// Records that were not in the database before.
    public var loaded = 0
    /// Records already there: skipped, or for intel and GuardDuty findings refreshed in place.
    public var duplicates = 0
    /// Records refused, with their position.
    public var rejected: [LoadRejection] = []

    public init() {}

    public mutating func add(_ other: LoadSummary) {
        read += other.read
        loaded += other.loaded
        duplicates += other.duplicates
        rejected += other.rejected
    }

    public var description: String {
        "\(read) read, \(loaded) loaded, \(duplicates) duplicates skipped, \(rejected.count) rejected"
    }
}
