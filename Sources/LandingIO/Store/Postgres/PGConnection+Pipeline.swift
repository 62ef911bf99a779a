import CLibPQ
import LandingCore

/// One statement of `PGConnection.pipeline`: its SQL (prepared once per session, as
/// `executeCached` does) and its text parameters (nil is SQL NULL).
struct PGStatement {
    var sql: String
    var parameters: [String?]

    init(_ sql: String, _ parameters: [String?] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}

extension PGConnection {
    /// Sends `statements` in one round trip (libpq pipeline mode, then one Sync) and returns their
    /// results in order. The server runs them one after the other exactly as if each were sent
    /// alone (under READ COMMITTED each takes its own snapshot; an explicit BEGIN among them opens
    /// a transaction that outlives the Sync). A failure is thrown once the whole answer is read;
    /// the statements after the failed one did not run.
    // why: within one phase of a commit no statement needs an earlier one's answer, so waiting for
    // each before sending the next only costs a wake-up of the server and of this thread per
    // statement. Blocking mode cannot deadlock here: the server writes little until it has read a
    // whole statement, and only the last statement of a call may answer with many rows (the
    // prefetch), once everything before it is sent.
    @discardableResult
    func pipeline(_ statements: [PGStatement]) throws(StoreError) -> [PGResult] {
        guard !statements.isEmpty else { return [] }
        guard PQenterPipelineMode(conn) == 1 else {
            throw StoreError(.unavailable, "PQenterPipelineMode on \(target) failed: \(connectionMessage())")
        }
        /// What each sent command answers: a Prepare (whose name joins the cache when it succeeds) or a statement.
        var sent: [(prepared: (sql: String, name: String)?, statement: Int)] = []
        var pending: [(sql: String, name: String)] = []
        var sendError: StoreError?
        for (index, statement) in statements.enumerated() {
            var name = cachedStatements.first { $0.sql == statement.sql }?.name ?? pending.first { $0.sql == statement.sql }?.name
            if name == nil {
                let new = "landing_\(nextStatementNumber)"
                nextStatementNumber += 1
                statementCount += 1
                guard PQsendPrepare(conn, new, statement.sql, 0, nil) == 1 else {
                    sendError = StoreError(.unavailable, "PQsendPrepare(\(new)) on \(target) failed: \(connectionMessage())")
                    break
                }
                pending.append((statement.sql, new))
                sent.append(((statement.sql, new), index))
                name = new
            }
            statementCount += 1
            let queued = Self.withCStrings(statement.parameters) { values in
                PQsendQueryPrepared(conn, name, Int32(statement.parameters.count), values, nil, nil, 0)
            }
            guard queued == 1 else {
                sendError = StoreError(.unavailable, "PQsendQueryPrepared(\(name!)) on \(target) failed: \(connectionMessage())")
                break
            }
            sent.append((nil, index))
        }
        roundTripCount += 1
        if sendError == nil, PQpipelineSync(conn) != 1 {
            sendError = StoreError(.unavailable, "PQpipelineSync on \(target) failed: \(connectionMessage())")
        }
        if let sendError {
            // why: what was queued is unknown to the server or half sent; the link is unusable.
            // Leaving pipeline mode fails while results are pending, so synchronous calls (the
            // store's liveness ping) fail too and the store drops this connection.
            _ = PQexitPipelineMode(conn)
            throw sendError
        }

        var results: [PGResult] = []
        results.reserveCapacity(statements.count)
        var failure: StoreError?
        for command in sent {
            let label = { () -> String in
                command.prepared.map { "PQprepare(\($0.name))" } ?? Self.label(statements[command.statement].sql)
            }
            guard let raw = PQgetResult(conn) else {
                // The answer ended early: the connection is gone.
                failure = failure ?? StoreError(PGErrorClassifier.kind(sqlstate: nil, connectionLost: !isConnected), "\(label()) on \(target) failed: \(connectionMessage())")
                _ = PQexitPipelineMode(conn)
                throw failure!
            }
            // A command after a failed one was skipped: its result says so, and nothing else.
            if PQresultStatus(raw) == PGRES_PIPELINE_ABORTED {
                PQclear(raw)
            } else {
                do throws(StoreError) {
                    let result = try check(raw, label())
                    if let prepared = command.prepared {
                        cachedStatements.append(prepared)
                    } else {
                        results.append(result)
                    }
                } catch {
                    failure = failure ?? error
                }
            }
            // Each command's results end with a NULL.
            while let extra = PQgetResult(conn) { PQclear(extra) }
        }
        if let sync = PQgetResult(conn) {
            let status = PQresultStatus(sync)
            PQclear(sync)
            if status != PGRES_PIPELINE_SYNC, failure == nil {
                failure = StoreError(.corrupt, "pipeline on \(target) ended without its Sync")
            }
        }
        guard PQexitPipelineMode(conn) == 1 else {
            throw failure ?? StoreError(.unavailable, "PQexitPipelineMode on \(target) failed: \(connectionMessage())")
        }
        if let failure { throw failure }
        return results
    }
}
