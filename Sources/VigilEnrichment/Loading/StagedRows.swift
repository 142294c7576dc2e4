/// One file's rows ready for COPY, in the column order of a ``LoadTarget``, and the records refused on the way.
struct StagedRows: Sendable {
    var rows: [[String?]] = []
    var rejected: [LoadRejection] = []
    /// Records read (rows plus rejections).
    var read: Int { rows.count + rejected.count }
}
