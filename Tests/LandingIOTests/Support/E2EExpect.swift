import Foundation
import Testing

/// Expectations several end-to-end suites share.
enum E2EExpect {
    /// Sends `request` (one TLS write) on a new connection and expects the server to answer `status`
    /// with `Connection: close` and then close the connection, with nothing after the response.
    /// Returns the response for further checks.
    @discardableResult
    static func rejection(
        _ request: [UInt8], status: Int, server: ServerProcess, sourceLocation: SourceLocation = #_sourceLocation
    ) -> E2EResponse? {
        do {
            let client = try RawTLSClient(port: server.port)
            try client.send(request)
            let response = try client.readResponse()
            #expect(response.status == status, "\(response)", sourceLocation: sourceLocation)
            #expect(response.closesConnection, "no Connection: close in \(response)", sourceLocation: sourceLocation)
            #expect(response.header("X-Request-Id") != nil, sourceLocation: sourceLocation)
            #expect(response.header("Content-Length") == "\(response.body.count)", sourceLocation: sourceLocation)
            #expect(client.waitForClose(timeout: 5), "the server kept the connection open", sourceLocation: sourceLocation)
            #expect(client.received.isEmpty, "bytes after the error response: \(String(decoding: client.received, as: UTF8.self).debugDescription)", sourceLocation: sourceLocation)
            return response
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    @discardableResult
    static func rejection(_ request: String, status: Int, server: ServerProcess, sourceLocation: SourceLocation = #_sourceLocation) -> E2EResponse? {
        rejection(Array(request.utf8), status: status, server: server, sourceLocation: sourceLocation)
    }

    /// Sends `request` on a new connection and expects an answer with `status` that keeps the
    /// connection open (the control case next to each rejection).
    @discardableResult
    static func acceptance(
        _ request: String, status: Int, server: ServerProcess, sourceLocation: SourceLocation = #_sourceLocation
    ) -> E2EResponse? {
        do {
            let client = try RawTLSClient(port: server.port)
            try client.send(request)
            let response = try client.readResponse()
            #expect(response.status == status, "\(response)", sourceLocation: sourceLocation)
            #expect(!response.closesConnection, "\(response)", sourceLocation: sourceLocation)
            // The same connection still serves a request.
            try client.send(Request.get("/healthz"))
            #expect(try client.readResponse().status == 200, sourceLocation: sourceLocation)
            return response
        } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
            return nil
        }
    }
}
