import Foundation
import Testing

@testable import LandingCore

@Suite("Record columns")
struct RecordColumnsTests {
    static let parameterLists: [[RawParameter]] = [
        [],
        [RawParameter(name: "itemId", value: "bench-m1t1-42")],
        [RawParameter(name: "itemId", value: "abc"), RawParameter(name: "error", value: "access_denied")],
        [RawParameter(name: "q\"uote", value: "back\\slash/and/slashes")],
        [RawParameter(name: "controls", value: "tab\tnl\ncr\rbs\u{8}ff\u{c}bell\u{7}esc\u{1b}us\u{1f}del\u{7f}")],
        [RawParameter(name: "", value: "")],
        [RawParameter(name: "ünï", value: "cødé ✓ 🎉 <script>&'\u{2028}")],
    ]

    /// The hand-written raw-parameter JSON is byte for byte what JSONEncoder (sorted keys, slashes
    /// unescaped) wrote before, so rows written by either read the same.
    @Test(arguments: parameterLists)
    func encode_MatchesJSONEncoder_ForParameterList(parameters: [RawParameter]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let expected = String(decoding: try encoder.encode(parameters), as: UTF8.self)
        #expect(RecordColumns.encode(parameters) == expected)
    }

    /// Encoded parameters decode back to the same list, NUL and every C0 control included.
    @Test(arguments: parameterLists + [[RawParameter(name: "nul", value: "a\u{0}b\u{1}c")]])
    func encode_RoundTripsThroughDecode_ForParameterList(parameters: [RawParameter]) throws {
        #expect(try RecordColumns.decode(RecordColumns.encode(parameters), table: "items") == parameters)
    }
}
