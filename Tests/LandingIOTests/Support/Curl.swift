import Foundation

/// One transfer of a `curl` invocation: the response (headers and body as received) and what
/// `--write-out` reported about it.
struct CurlTransfer {
    var response: E2EResponse
    /// `%{num_connects}`: new connections this transfer opened (0 when it reused one).
    var numConnects: Int
    /// `%{http_version}`: "1.1" when HTTP/1.1 was negotiated.
    var httpVersion: String
    /// `%{scheme}`: the scheme of the transfer ("HTTPS" or "HTTP").
    var scheme: String
}

/// Runs `/usr/bin/curl --http1.1 -sk` (curl's own HTTP and TLS code as an independent client).
enum Curl {
    static let executable = "/usr/bin/curl"
    private static let marker = "E2E-TRANSFER "  // why: not "@...": curl reads a --write-out starting with @ from a file.

    /// Runs curl with `--http1.1 -sk` and `arguments`, as is.
    static func run(_ arguments: [String], timeout: Double = 30) throws -> SubprocessResult {
        try Subprocess.run(executable, ["--http1.1", "-sk", "--max-time", "\(Int(timeout) - 5)"] + arguments, timeout: timeout)
    }

    /// Fetches `urls` in one curl invocation (so curl may reuse its connection), each with
    /// `arguments` (e.g. `["-X", "POST"]`, `["-I"]`), and returns one transfer per URL.
    static func fetch(_ urls: [String], _ arguments: [String] = [], timeout: Double = 30) throws -> [CurlTransfer] {
        let directory = try TemporaryDirectory("landing-e2e-curl")
        var command = ["-i", "--write-out", "\(marker)%{http_code} %{num_connects} %{http_version} %{scheme}\\n"] + arguments
        for (index, url) in urls.enumerated() {
            command += ["-o", directory.file("transfer-\(index)"), url]
        }
        let result = try run(command, timeout: timeout)
        guard result.succeeded else { throw E2EError("curl failed: \(result)") }
        let reports = result.stdoutText.components(separatedBy: "\n").filter { $0.hasPrefix(marker) }
        guard reports.count == urls.count else { throw E2EError("curl reported \(reports.count) transfers for \(urls.count) URLs: \(result)") }
        var transfers: [CurlTransfer] = []
        for (index, report) in reports.enumerated() {
            let fields = report.dropFirst(marker.count).split(separator: " ").map(String.init)
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: directory.file("transfer-\(index)"))))
            guard let end = E2EResponse.headEnd(bytes), var response = E2EResponse.parseHead(String(decoding: bytes[..<end], as: UTF8.self)) else {
                throw E2EError("curl transfer \(index) has no parsable header section: \(String(decoding: bytes, as: UTF8.self))")
            }
            bytes.removeFirst(end + 4)
            response.body = bytes
            transfers.append(
                CurlTransfer(response: response, numConnects: Int(fields.count > 1 ? fields[1] : "") ?? -1, httpVersion: fields.count > 2 ? fields[2] : "", scheme: fields.count > 3 ? fields[3] : ""))
        }
        return transfers
    }

    /// Fetches one URL.
    static func fetch(_ url: String, _ arguments: [String] = [], timeout: Double = 30) throws -> CurlTransfer {
        try fetch([url], arguments, timeout: timeout)[0]
    }
}
