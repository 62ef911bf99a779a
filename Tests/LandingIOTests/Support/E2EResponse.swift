import Foundation

/// An HTTP/1.1 response as the client saw it on the wire: status line, header fields in order, body.
struct E2EResponse: CustomStringConvertible {
    var version: String
    var status: Int
    var reason: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The value of the single field `name` (case-insensitive), or nil when absent.
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// All values of the field `name`.
    func headers(named name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// Whether the response says `Connection: close`.
    var closesConnection: Bool {
        headers(named: "Connection").contains { $0.lowercased().split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == "close" } }
    }

    var description: String {
        "\(version) \(status) \(reason)\n" + headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n") + "\n\n" + bodyText
    }

    /// Parses a header section ("HTTP/1.1 200 OK\r\nName: value\r\n...", without the final blank line).
    static func parseHead(_ head: String) -> E2EResponse? {
        var lines = head.components(separatedBy: "\r\n")
        guard !lines.isEmpty else { return nil }
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return E2EResponse(version: String(parts[0]), status: status, reason: parts.count > 2 ? String(parts[2]) : "", headers: headers, body: [])
    }

    /// Takes one complete response off the front of `buffer` (framed by Content-Length; a response
    /// to HEAD has no body). Returns nil, leaving `buffer` alone, while it is incomplete.
    static func take(from buffer: inout [UInt8], headOnly: Bool = false) -> E2EResponse? {
        guard let end = headEnd(buffer) else { return nil }
        guard var response = parseHead(String(decoding: buffer[..<end], as: UTF8.self)) else { return nil }
        let length = headOnly ? 0 : Int(response.header("Content-Length") ?? "0") ?? 0
        let bodyStart = end + 4
        guard buffer.count >= bodyStart + length else { return nil }
        response.body = Array(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        return response
    }

    /// The index of the "\r\n\r\n" that ends the header section.
    static func headEnd(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }
}
