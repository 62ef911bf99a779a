import Foundation
import Testing
@testable import LandingCore

/// `Base64URL`: RFC 4648 §5 without padding, checked against Foundation's base64; session ids are
/// exactly 22 characters of its alphabet.
@Suite struct Base64URLTests {
    /// Every length from 0 to 40 bytes (each remainder), with every byte value, encodes as Foundation's base64 with `-` `_` and no `=`.
    @Test func encode_MatchesFoundationBase64URL() {
        for length in 0...40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + length * 11) }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == expected, "\(length) bytes")
        }
        #expect(Base64URL.encode(Array(0...255)).utf8.count == (256 * 4 + 2) / 3)
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
    }

    /// A session id is 22 characters of `A-Z a-z 0-9 - _`; anything else is not one.
    @Test func isSessionID_AcceptsOnly22AlphabetCharacters() {
        #expect(Base64URL.isSessionID(Base64URL.encode(Array(repeating: 0xAB, count: 16))))
        #expect(Base64URL.isSessionID("AZaz09-_AZaz09-_AZaz09"))
        for bad in ["AZaz09-_AZaz09-_AZaz0", "AZaz09-_AZaz09-_AZaz09A", "AZaz09-_AZaz09-_AZaz0=", "AZaz09-_AZaz09+/AZaz09", "AZaz09-_AZaz09-_AZaz0é", ""] {
            #expect(!Base64URL.isSessionID(bad), "\(bad)")
        }
        for byte in UInt8(0)...UInt8(255) {
            let expected = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8).contains(byte)
            #expect(Base64URL.isAlphabetByte(byte) == expected, "byte \(byte)")
        }
    }
}
