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

    /// JSON texts of the stored shape that other writers could have produced (JSONEncoder's
    /// default escaping, pretty printing, other member order, `\u` escapes, extra string members).
    static let foreignTexts: [String] = [
        #"[{"name":"a\/b","value":"c\/d"}]"#,
        "[\n  {\n    \"name\" : \"x\",\n    \"value\" : \"y\"\n  }\n]",
        #"[{"value":"v","name":"n"},{"name":"","value":""}]"#,
        #"[{"name":"\u00e9\u0041","value":"\ud83c\udf89 \u2028 \u0000"}]"#,
        #"[{"name":"n","value":"v","extra":"ignored"}]"#,
        #" [ ] "#,
        #"[{"name":"\"\\\b\f\n\r\t","value":"\u001F\u007f"}]"#,
    ]

    @Test("The hand-written decoder reads every JSON text of the stored shape as JSONDecoder does", arguments: foreignTexts)
    func decode_MatchesJSONDecoder_ForForeignText(text: String) throws {
        let expected = try JSONDecoder().decode([RawParameter].self, from: Data(text.utf8))
        #expect(try RecordColumns.decode(text, table: "items") == expected)
    }

    static let malformedTexts: [String] = [
        "", "{}", "[", "[{}]", #"[{"name":"n"}]"#, #"[{"name":"n","value":1}]"#, #"[{"name":"n","value":"v"}"#,
        #"[{"name":"n","value":"v"}] x"#, "[{\"name\":\"n\u{1}\",\"value\":\"v\"}]",
        #"[{"name":"\ud83c","value":"v"}]"#, #"[{"name":"\udf89","value":"v"}]"#, #"[{"name":"\u12G4","value":"v"}]"#,
        #"[{"name":"\x","value":"v"}]"#, #"[{"name":"n","value":"v"#, #"[{"name":"n","value":"v\"#, "null",
    ]

    @Test("A raw_parameters text that is not a JSON parameter list is a corrupt row, its text never quoted", arguments: malformedTexts)
    func decode_ReportsCorrupt_ForMalformedText(text: String) {
        #expect(throws: StoreError.self) { try RecordColumns.decode(text, table: "items") }
        #expect((try? JSONDecoder().decode([RawParameter].self, from: Data(text.utf8))) == nil, "JSONDecoder refuses it too")
        do {
            _ = try RecordColumns.decode(text, table: "items")
        } catch {
            #expect(error.kind == .corrupt)
            #expect(error.message == "corrupt items row: raw_parameters is not a JSON parameter list")
        }
    }
}
