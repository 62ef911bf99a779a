import Foundation
import Testing

/// Request-smuggling and framing shapes sent over real TLS connections: each is refused with the
/// right status and `Connection: close`, and the connection is closed (so no second request can
/// hide behind an ambiguous first one).
@Suite struct EndToEndSmugglingTests {
    /// One malformed request and the status the server must answer it with.
    struct Shape: CustomTestStringConvertible, Sendable {
        var name: String
        var request: [UInt8]
        var status: Int
        var testDescription: String { name }

        init(_ name: String, _ request: String, _ status: Int) {
            self.name = name
            self.request = Array(request.utf8)
            self.status = status
        }
    }

    /// Every shape ends with a second, valid request: the server must not answer it.
    static let trailer = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

    static let shapes: [Shape] = [
        Shape("Content-Length with Transfer-Encoding", "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + trailer, 400),
        Shape("two different Content-Lengths", "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!" + trailer, 400),
        Shape("obsolete line folding", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n" + trailer, 400),
        Shape("whitespace before colon", "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length : 0\r\n\r\n" + trailer, 400),
        Shape("bare CR", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rX-B: b\r\n\r\n" + trailer, 400),
        Shape("NUL in a header value", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n" + trailer, 400),
        Shape("invalid character in a header name", "GET /healthz HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n" + trailer, 400),
        Shape("chunked not the final coding", "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n" + trailer, 400),
        Shape("chunk data not followed by CRLF", "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello" + trailer, 400),
        Shape("Transfer-Encoding: gzip", "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n" + trailer, 400),
        Shape("Transfer-Encoding: gzip, chunked", "POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + trailer, 501),
        Shape("HTTP/1.1 without Host", "GET /healthz HTTP/1.1\r\nX-A: b\r\n\r\n" + trailer, 400),
        Shape("HTTP/1.1 with two Hosts", "GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n" + trailer, 400),
        Shape("HTTP/2.0 request line", "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n" + trailer, 505),
    ]

    /// Each ambiguous request gets its 4xx/5xx with `Connection: close`, its trailer is never answered, and it is closed.
    @Test(arguments: shapes)
    func endToEnd_RefusesAndCloses_WhenRequestIsAmbiguous(_ shape: Shape) throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let response = E2EExpect.rejection(shape.request, status: shape.status, server: server)
        #expect(response?.bodyText.hasPrefix("\(shape.status) ") == true, "\(String(describing: response))")
        // The server is unharmed: a fresh connection is served.
        E2EExpect.acceptance(Request.get("/healthz"), status: 200, server: server)
    }
}
