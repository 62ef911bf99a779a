import Foundation
import Testing

/// The parser limits, configured on the command line, enforced over real TLS connections: each
/// over-limit request gets its status with `Connection: close` and the connection is closed, while
/// a request just under the limit is served.
@Suite struct EndToEndLimitTests {
    /// A request line longer than --max-request-line gets 414 and the connection is closed.
    @Test func endToEnd_Answers414_WhenRequestLineIsTooLong() throws {
        let server = try ServerProcess(["--max-request-line", "100"])
        defer { server.stop() }
        // "GET /xxx HTTP/1.1" is 4 + path + 9 bytes long.
        let under = "/" + String(repeating: "a", count: 100 - 13 - 1)
        E2EExpect.acceptance(Request.get(under), status: 404, server: server)
        let over = "/" + String(repeating: "a", count: 200)
        E2EExpect.rejection(Request.get(over), status: 414, server: server)
    }

    /// A header section larger than --max-header-bytes gets 431 and the connection is closed.
    @Test func endToEnd_Answers431_WhenHeaderSectionIsTooLarge() throws {
        let server = try ServerProcess(["--max-header-bytes", "300"])
        defer { server.stop() }
        E2EExpect.acceptance(Request.get("/healthz", ["X-Pad: " + String(repeating: "p", count: 150)]), status: 200, server: server)
        E2EExpect.rejection(Request.get("/healthz", ["X-Pad: " + String(repeating: "p", count: 400)]), status: 431, server: server)
    }

    /// More header fields than --max-header-count gets 431 and the connection is closed.
    @Test func endToEnd_Answers431_WhenHeaderFieldsAreTooMany() throws {
        let server = try ServerProcess(["--max-header-count", "5"])
        defer { server.stop() }
        // Host plus 4 = 5 fields: allowed; Host plus 9 = 10: refused.
        E2EExpect.acceptance(Request.get("/healthz", (1...4).map { "X-F\($0): v" }), status: 200, server: server)
        E2EExpect.rejection(Request.get("/healthz", (1...9).map { "X-F\($0): v" }), status: 431, server: server)
    }

    /// A Content-Length (or a chunk size) above --max-body-bytes gets 413 before the body is sent, and the connection is closed.
    @Test func endToEnd_Answers413_WhenContentLengthExceedsMaxBody() throws {
        let server = try ServerProcess(["--max-body-bytes", "10"])
        defer { server.stop() }
        // At the limit: the body is read and the request is answered (POST to /healthz: 405).
        E2EExpect.acceptance("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789", status: 405, server: server)
        // Over it: 413 from the head alone (no body bytes are sent).
        E2EExpect.rejection("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n", status: 413, server: server)
        // Chunked: at the limit decoded, then one chunk over it: 413 from its size line alone.
        E2EExpect.acceptance("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n", status: 405, server: server)
        E2EExpect.rejection("POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n5\r\n", status: 413, server: server)
    }
}
