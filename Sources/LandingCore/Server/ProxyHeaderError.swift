/// Why the bytes at the start of a connection are not a PROXY protocol header this server accepts.
/// Every case ends the connection ("Any sequence which does not exactly match the protocol must be
/// discarded and cause the receiver to abort the connection", §2.1).
public enum ProxyHeaderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The first bytes match neither the v1 `PROXY ` prefix nor the v2 signature (§2.2: "otherwise
    /// the protocol is not covered by this specification and the connection must be dropped").
    case notProxyProtocol
    /// A v1 line without its CRLF in the first `ProxyHeaderParser.maxV1LineBytes` bytes.
    case v1LineTooLong
    /// A v1 line with a CR not followed by LF, or an LF not preceded by CR.
    case v1BadLineEnding
    /// A v1 protocol other than `TCP4`, `TCP6` and `UNKNOWN`.
    case v1UnknownProtocol
    /// A v1 line whose fields are not exactly `SRC DST SPORT DPORT`, one space apart.
    case v1BadFields
    /// A v1 address that is not of the announced family in its canonical text form.
    case v1BadAddress
    /// A v1 port that is not a decimal from 0 to 65535 without leading zeros.
    case v1BadPort
    /// A v2 version other than 2 (the high nibble of the 13th byte).
    case v2UnsupportedVersion(UInt8)
    /// A v2 command other than LOCAL (0) and PROXY (1).
    case v2UnknownCommand(UInt8)
    /// A v2 address family or transport outside the specified values (the 14th byte).
    case v2UnknownFamily(UInt8)
    /// A v2 PROXY command for a datagram (UDP) connection: this server serves TCP only.
    case v2Datagram
    /// A v2 header longer (16 + its length field) than `ProxyHeaderParser.maxV2HeaderBytes`.
    case v2TooLong(Int)
    /// A v2 length too short for the addresses of the announced family.
    case v2AddressesTruncated

    public var description: String {
        switch self {
        case .notProxyProtocol: "the connection does not start with a PROXY protocol header"
        case .v1LineTooLong: "PROXY v1 line without CRLF in its first \(ProxyHeaderParser.maxV1LineBytes) bytes"
        case .v1BadLineEnding: "PROXY v1 line with a lone CR or LF"
        case .v1UnknownProtocol: "PROXY v1 protocol is not TCP4, TCP6 or UNKNOWN"
        case .v1BadFields: "PROXY v1 line is not 'PROXY TCP4|TCP6 SRC DST SPORT DPORT'"
        case .v1BadAddress: "PROXY v1 address is not a canonical address of the announced family"
        case .v1BadPort: "PROXY v1 port is not a number from 0 to 65535"
        case .v2UnsupportedVersion(let version): "PROXY v2 header of version \(version)"
        case .v2UnknownCommand(let command): "PROXY v2 command \(command) is neither LOCAL nor PROXY"
        case .v2UnknownFamily(let byte): "PROXY v2 family and transport byte 0x\(String(byte, radix: 16)) is not specified"
        case .v2Datagram: "PROXY v2 header for a datagram connection"
        case .v2TooLong(let total): "PROXY v2 header of \(total) bytes, over \(ProxyHeaderParser.maxV2HeaderBytes)"
        case .v2AddressesTruncated: "PROXY v2 length too short for the announced addresses"
        }
    }
}
