/// Reads a PROXY protocol header (HAProxy's "The PROXY protocol, Versions 1 & 2") from the first
/// bytes of a connection: push-based and incremental like `HTTPRequestParser`, it knows nothing of
/// sockets. Feed each chunk as it arrives; it answers `.needMore`, the `.header` and how many of
/// that chunk's bytes it took (the rest belong to the protocol that follows: a TLS ClientHello may
/// arrive in the same segment), or an `.error`, after which the connection must be closed.
///
/// Both versions are accepted (§2.2: "it is recommended that they also implement the
/// human-readable header format"). Whether a header is expected is configuration, never guessed
/// (§5); the shell only creates a parser for a peer it trusts.
///
/// It holds at most `maxV2HeaderBytes` bytes, decides as early as the bytes allow (the first byte
/// that cannot start a header is an error at once, not after a timeout), and is tolerant of a
/// header split across reads (§2: "Recommendation is to be tolerant").
public struct ProxyHeaderParser: Sendable {
    /// What one `feed` found.
    public enum Outcome: Sendable, Equatable {
        /// The header is not complete yet: feed the next chunk.
        case needMore
        /// The header, complete; the first `consumed` bytes of the chunk just fed were its end, the
        /// rest follow it. Further feeds answer the same header with `consumed: 0`.
        case header(ProxyHeader, consumed: Int)
        /// Not an acceptable header: close the connection. Further feeds answer the same error.
        case error(ProxyHeaderError)
    }

    /// §2.1: "If the CRLF sequence is not found in the first 107 characters, the receiver should
    /// declare the line invalid" (the worst case, `PROXY UNKNOWN` with two IPv6 addresses and two
    /// ports, is 107 bytes with its CRLF).
    public static let maxV1LineBytes = 107
    /// The longest v2 header taken, TLVs included. §2: "Both formats are designed to fit in the
    /// smallest TCP segment that any TCP/IP host is required to support (576 - 40 = 536 bytes)";
    /// a sender keeps its header within one such segment, so a longer one is refused rather than
    /// buffered (the 16-bit length field alone would allow 65,551 bytes per connection).
    public static let maxV2HeaderBytes = 536

    /// §2.1: the v1 line starts with "PROXY" and "exactly one space".
    static let v1Prefix: [UInt8] = Array("PROXY ".utf8)
    /// §2.2: "The binary header format starts with a constant 12 bytes block containing the
    /// protocol signature: \x0D \x0A \x0D \x0A \x00 \x0D \x0A \x51 \x55 \x49 \x54 \x0A".
    public static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    /// The fixed part of a v2 header: signature, version and command, family and transport, length.
    static let v2FixedBytes = 16

    private var buffer: [UInt8] = []
    /// The v2 header's total length, once its length field is in.
    private var v2Total: Int?
    private var finished: Outcome?

    public init() {
        buffer.reserveCapacity(Self.maxV1LineBytes)
    }

    /// Bytes held of a header not yet complete (tests).
    public var bufferedByteCount: Int { buffer.count }

    /// Takes the next chunk of the connection's input.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        if let finished {
            if case .header(let header, _) = finished { return .header(header, consumed: 0) }
            return finished
        }
        // why: byte by byte, so the outcome is decided by the first byte that decides it and the
        // header's end is known exactly; a header is at most `maxV2HeaderBytes` bytes, and the loop
        // stops at its end or at the first byte that cannot belong to one.
        for (index, byte) in bytes.enumerated() {
            buffer.append(byte)
            switch step() {
            case .needMore:
                continue
            case .header(let header, _):
                buffer = []
                finished = .header(header, consumed: 0)
                return .header(header, consumed: index + 1)
            case .error(let error):
                buffer = []
                finished = .error(error)
                return .error(error)
            }
        }
        return .needMore
    }

    /// Takes the next chunk (tests and callers holding an array).
    public mutating func feed(_ bytes: [UInt8]) -> Outcome {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// Looks at the byte just appended to `buffer`.
    private mutating func step() -> Outcome {
        let count = buffer.count
        let byte = buffer[count - 1]
        // §2.2: "if the incoming byte count is 16 or above and the 13 first bytes match the protocol
        // signature block followed by the protocol version 2 [...] otherwise, if the incoming byte
        // count is 8 or above, and the 5 first characters match [...] "PROXY" then the protocol must
        // be parsed as version 1 [...] otherwise [...] the connection must be dropped."
        if buffer[0] == Self.v2Signature[0] {
            return stepV2(count: count, byte: byte)
        }
        return stepV1(count: count, byte: byte)
    }

    // MARK: - Version 1

    private func stepV1(count: Int, byte: UInt8) -> Outcome {
        if count <= Self.v1Prefix.count {
            return byte == Self.v1Prefix[count - 1] ? .needMore : .error(.notProxyProtocol)
        }
        // §2.1: "The receiver must not tolerate a single CR or LF character to end the line when a
        // complete CRLF sequence is expected."
        let previous = buffer[count - 2]
        if byte == 0x0A {
            guard previous == 0x0D else { return .error(.v1BadLineEnding) }
            return Self.parseV1(buffer[Self.v1Prefix.count..<(count - 2)])
        }
        if previous == 0x0D { return .error(.v1BadLineEnding) }
        // §2.1: "If the CRLF sequence is not found in the first 107 characters, the receiver should
        // declare the line invalid."
        if count >= Self.maxV1LineBytes { return .error(.v1LineTooLong) }
        return .needMore
    }

    /// The v1 line after `PROXY ` and before its CRLF.
    static func parseV1(_ line: ArraySlice<UInt8>) -> Outcome {
        let fields = line.split(separator: 0x20, omittingEmptySubsequences: false)
        // §2.1: "For "UNKNOWN", the rest of the line before the CRLF may be omitted by the sender,
        // and the receiver must ignore anything presented before the CRLF is found."
        if fields[0].elementsEqual("UNKNOWN".utf8) {
            return .header(ProxyHeader(version: .v1, source: nil, destination: nil), consumed: 0)
        }
        let isIPv4: Bool
        if fields[0].elementsEqual("TCP4".utf8) {
            isIPv4 = true
        } else if fields[0].elementsEqual("TCP6".utf8) {
            isIPv4 = false
        } else {
            return .error(.v1UnknownProtocol)
        }
        // §2.1: "exactly one space" between each of the protocol, the two addresses and two ports.
        guard fields.count == 5, fields.allSatisfy({ !$0.isEmpty }) else { return .error(.v1BadFields) }
        // §2.1: "IPv4 addresses must be indicated as a series of exactly 4 integers in the range
        // [0..255] inclusive written in decimal representation separated by exactly one dot [...]
        // Heading zeroes are not permitted"; IPv6 as RFC 4291 text; "The advertised protocol family
        // dictates what format to use."
        func address(_ field: ArraySlice<UInt8>) -> IPAddress? {
            let text = String(decoding: field, as: UTF8.self)
            return isIPv4 ? IPAddress(ipv4: text) : IPAddress(ipv6: text)
        }
        guard let source = address(fields[1]), let destination = address(fields[2]) else {
            return .error(.v1BadAddress)
        }
        guard let sourcePort = port(fields[3]), let destinationPort = port(fields[4]) else {
            return .error(.v1BadPort)
        }
        return .header(
            ProxyHeader(
                version: .v1, source: ProxyHeader.Endpoint(address: source, port: sourcePort),
                destination: ProxyHeader.Endpoint(address: destination, port: destinationPort)),
            consumed: 0)
    }

    /// §2.1: "the TCP source port represented as a decimal integer in the range [0..65535]
    /// inclusive. Heading zeroes are not permitted in front of numbers".
    static func port(_ field: ArraySlice<UInt8>) -> UInt16? {
        guard (1...5).contains(field.count), field.allSatisfy(HostSyntax.isDigit),
            field.count == 1 || field.first != UInt8(ascii: "0")
        else { return nil }
        let value = field.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        return value <= 65_535 ? UInt16(value) : nil
    }

    // MARK: - Version 2

    private mutating func stepV2(count: Int, byte: UInt8) -> Outcome {
        if count <= Self.v2Signature.count {
            return byte == Self.v2Signature[count - 1] ? .needMore : .error(.notProxyProtocol)
        }
        switch count {
        case 13:
            // §2.2: "The highest four bits contains the version. [...] it must always be sent as \x2
            // and the receiver must only accept this value."
            guard byte >> 4 == 2 else { return .error(.v2UnsupportedVersion(byte >> 4)) }
            // "other values are unassigned and must not be emitted by senders. Receivers must drop
            // connections presenting unexpected values here."
            guard byte & 0x0F <= 1 else { return .error(.v2UnknownCommand(byte & 0x0F)) }
            return .needMore
        case 14:
            // §2.2: families 0x0-0x3 and transports 0x0-0x2; "other values are unspecified and must
            // not be emitted in version 2 of this protocol and must be rejected as invalid by receivers."
            guard byte >> 4 <= 3, byte & 0x0F <= 2 else { return .error(.v2UnknownFamily(byte)) }
            if isProxyCommand && byte & 0x0F == 2 { return .error(.v2Datagram) }
            return .needMore
        case Self.v2FixedBytes:
            // §2.2: "the length of the protocol header in bytes is always exactly 16 + this value."
            let total = Self.v2FixedBytes + (Int(buffer[14]) << 8 | Int(buffer[15]))
            guard total <= Self.maxV2HeaderBytes else { return .error(.v2TooLong(total)) }
            // §2.2: "Receivers MUST always consider this field to skip the appropriate number of bytes
            // and must not assume zero is presented for LOCAL connections."
            if isProxyCommand && total - Self.v2FixedBytes < Self.v2AddressBytes(buffer[13]) {
                return .error(.v2AddressesTruncated)
            }
            v2Total = total
        default:
            break
        }
        guard let total = v2Total, count == total else { return .needMore }
        return .header(parseV2(), consumed: 0)
    }

    /// The 13th byte's low nibble is PROXY (1), not LOCAL (0).
    private var isProxyCommand: Bool { buffer[12] & 0x0F == 1 }

    /// §2.2: address block sizes: "\x11 : TCP over IPv4 [...] 2*4 + 2*2 = 12 bytes", "\x21 : TCP
    /// over IPv6 [...] 2*16 + 2*2 = 36 bytes", "\x31 : UNIX stream [...] 2*108 = 216 bytes";
    /// nothing for UNSPEC.
    static func v2AddressBytes(_ familyAndTransport: UInt8) -> Int {
        guard familyAndTransport & 0x0F != 0 else { return 0 }
        switch familyAndTransport >> 4 {
        case 1: return 12
        case 2: return 36
        case 3: return 216
        default: return 0
        }
    }

    /// The complete, validated v2 header in `buffer`. TLVs after the addresses are skipped: none
    /// is trusted or needed.
    private func parseV2() -> ProxyHeader {
        let none = ProxyHeader(version: .v2, source: nil, destination: nil)
        // §2.2 LOCAL: "the receiver must accept this connection as valid and must use the real
        // connection endpoints and discard the protocol block including the family".
        guard isProxyCommand else { return none }
        let addresses = buffer[Self.v2FixedBytes...]
        let start = addresses.startIndex
        func port(at offset: Int) -> UInt16 {
            UInt16(addresses[start + offset]) << 8 | UInt16(addresses[start + offset + 1])
        }
        // §2.2: "Only the UNSPEC protocol byte (\x00) is mandatory to implement on the receiver. A
        // receiver is not required to implement other ones, provided that it automatically falls
        // back to the UNSPEC mode for the valid combinations above that it does not support."
        switch buffer[13] {
        case 0x11:
            guard let source = IPAddress(networkBytes: addresses[start..<(start + 4)]),
                let destination = IPAddress(networkBytes: addresses[(start + 4)..<(start + 8)])
            else { return none }
            return ProxyHeader(
                version: .v2, source: ProxyHeader.Endpoint(address: source, port: port(at: 8)),
                destination: ProxyHeader.Endpoint(address: destination, port: port(at: 10)))
        case 0x21:
            guard let source = IPAddress(networkBytes: addresses[start..<(start + 16)]),
                let destination = IPAddress(networkBytes: addresses[(start + 16)..<(start + 32)])
            else { return none }
            return ProxyHeader(
                version: .v2, source: ProxyHeader.Endpoint(address: source, port: port(at: 32)),
                destination: ProxyHeader.Endpoint(address: destination, port: port(at: 34)))
        default:
            // UNSPEC family or transport, or AF_UNIX: no address this server can use.
            return none
        }
    }
}
