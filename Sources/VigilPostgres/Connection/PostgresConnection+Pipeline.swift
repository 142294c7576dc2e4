import CLibPQ

extension PostgresConnection {
    /// Sends `statements` in one round trip (libpq pipeline mode) and returns each one's outcome, in order.
    ///
    /// Statements run in order, each in its own implicit transaction unless the pipeline is inside
    /// an explicit one. When one fails, its entry holds the server's error and the statements after
    /// it, up to the end of the pipeline, fail with `.pipelineAborted`.
    ///
    /// Meant for batches of up to a few thousand small statements (the results are read after all are sent).
    /// Statements marked ``PostgresStatement/prepared`` run as prepared statements; one not yet prepared on this
    /// connection is prepared inside the pipeline, just before its first use.
    public func pipeline(_ statements: [PostgresStatement]) async throws(PostgresError) -> [Result<PostgresResult, PostgresError>] {
        guard !statements.isEmpty else { return [] }
        return try await cancellable(statements[0].sql) { (connection) throws(PostgresError) -> [Result<PostgresResult, PostgresError>] in
            try connection.runPipeline(statements)
        }
    }

    private func runPipeline(_ statements: [PostgresStatement]) throws(PostgresError) -> [Result<PostgresResult, PostgresError>] {
        let conn = try requireHandle()
        guard PQenterPipelineMode(conn) == 1 else { throw connectionError(sql: nil) }
        defer { PQexitPipelineMode(conn) }
        // Statements prepared in this pipeline: position → name (cached once the server has accepted it).
        var preparing: [Int: String] = [:]
        var pending: [String: String] = [:]
        for (position, statement) in statements.enumerated() {
            let sent: Int32
            if statement.prepared {
                var name = preparedNames[statement.sql] ?? pending[statement.sql]
                if name == nil {
                    let new = "vigil_\(preparedNames.count + pending.count + 1)"
                    let queued = Self.withParameters(statement.parameters) { count, types, _, _, _ in
                        PQsendPrepare(conn, new, statement.sql, count, types)
                    }
                    guard queued == 1 else { throw connectionError(sql: statement.sql) }
                    preparing[position] = new
                    pending[statement.sql] = new
                    name = new
                }
                sent = Self.withParameters(statement.parameters) { count, _, values, lengths, formats in
                    PQsendQueryPrepared(conn, name, count, values, lengths, formats, 0)
                }
            } else {
                sent = Self.withParameters(statement.parameters) { count, types, values, lengths, formats in
                    PQsendQueryParams(conn, statement.sql, count, types, values, lengths, formats, 0)
                }
            }
            guard sent == 1 else { throw connectionError(sql: statement.sql) }
        }
        guard PQpipelineSync(conn) == 1 else { throw connectionError(sql: nil) }
        var outcomes: [Result<PostgresResult, PostgresError>] = []
        outcomes.reserveCapacity(statements.count)
        for (position, statement) in statements.enumerated() {
            // A statement prepared here: first the Prepare's own result and its NULL. When the Prepare fails, its error
            // is the statement's outcome (the statement itself is then only reported as aborted).
            var prepareError: PostgresError?
            if let name = preparing[position] {
                guard let prepared = PQgetResult(conn) else { throw connectionError(sql: statement.sql) }
                do throws(PostgresError) {
                    _ = try check(prepared, sql: statement.sql)
                    preparedNames[statement.sql] = name
                } catch {
                    if error.code == .connectionClosed { throw error }
                    prepareError = error
                }
                while let extra = PQgetResult(conn) { PQclear(extra) }
            }
            guard let result = PQgetResult(conn) else { throw connectionError(sql: statement.sql) }
            do throws(PostgresError) {
                outcomes.append(.success(try check(result, sql: statement.sql)))
            } catch {
                if error.code == .connectionClosed { throw error }
                outcomes.append(.failure(prepareError ?? error))
            }
            // Each statement's results end with a NULL.
            while let extra = PQgetResult(conn) { PQclear(extra) }
        }
        // Then the sync point.
        if let sync = PQgetResult(conn) {
            let status = PQresultStatus(sync)
            PQclear(sync)
            guard status == PGRES_PIPELINE_SYNC else {
                throw PostgresError(code: .protocolViolation, message: "expected the pipeline's sync point")
            }
        }
        return outcomes
    }
}
