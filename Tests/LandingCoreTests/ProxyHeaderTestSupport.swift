@testable import LandingCore

/// Builders and drivers for the PROXY protocol parser tests.
enum ProxyHeaderFixture {
    /// Bytes that stand for what follows a header (the start of a TLS ClientHello).
    static let trailing: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]

    /// A v2 header: signature, `versionCommand`, `familyTransport`, the length of `body` (or
    /// `length` when given), then `body` (addresses and TLVs).
    static func v2(_ versionCommand: UInt8, _ familyTransport: UInt8, _ body: [UInt8], length: Int? = nil) -> [UInt8] {
        let length = length ?? body.count
        return ProxyHeaderParser.v2Signature + [versionCommand, familyTransport, UInt8(length >> 8), UInt8(length & 0xFF)] + body
    }

    /// The address block of TCP over IPv4: source, destination, source port, destination port.
    static func ipv4Block(_ source: [UInt8], _ destination: [UInt8], _ sourcePort: UInt16, _ destinationPort: UInt16) -> [UInt8] {
        source + destination + bytes(sourcePort) + bytes(destinationPort)
    }

    /// The address block of TCP over IPv6.
    static func ipv6Block(_ source: IPAddress, _ destination: IPAddress, _ sourcePort: UInt16, _ destinationPort: UInt16) -> [UInt8] {
        func raw(_ address: IPAddress) -> [UInt8] { address.groups.flatMap { bytes($0) } }
        return raw(source) + raw(destination) + bytes(sourcePort) + bytes(destinationPort)
    }

    static func bytes(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    /// What feeding a connection's input in chunks produced: the first outcome that was not
    /// `.needMore` (or `.needMore` when every chunk was taken), and the bytes after the header.
    struct Run: Equatable {
        var outcome: ProxyHeaderParser.Outcome
        var rest: [UInt8]
    }

    /// Feeds `input` cut at `cuts` (ascending offsets), one chunk per feed, as reads would deliver it.
    static func run(_ input: [UInt8], cuts: [Int]) -> Run {
        var parser = ProxyHeaderParser()
        var start = 0
        for end in cuts + [input.count] where end >= start {
            let chunk = Array(input[start..<end])
            start = end
            switch parser.feed(chunk) {
            case .needMore:
                continue
            case .header(let header, let consumed):
                return Run(outcome: .header(header, consumed: 0), rest: Array(chunk[consumed...]) + Array(input[end...]))
            case .error(let error):
                return Run(outcome: .error(error), rest: [])
            }
        }
        return Run(outcome: .needMore, rest: [])
    }

    /// `input` fed whole, cut in two at every offset, and one byte at a time: a header split
    /// across reads must give the same run every way.
    static func everySplit(_ input: [UInt8]) -> [Run] {
        var runs = [run(input, cuts: [])]
        for cut in 0...input.count { runs.append(run(input, cuts: [cut])) }
        runs.append(run(input, cuts: Array(0...input.count)))
        return runs
    }
}
