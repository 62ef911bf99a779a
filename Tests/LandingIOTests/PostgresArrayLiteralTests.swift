import Testing

@testable import LandingIO

/// `PostgresArrayLiteral`: the array text PostgreSQL's `array_in` reads back as the same elements.
@Suite("PostgresArrayLiteral")
struct PostgresArrayLiteralTests {
    /// Integers are written in decimal, signs and the extremes included; nil is NULL.
    @Test
    func integers_AreDecimal_WithNullForNil() {
        var array = PostgresArrayLiteral()
        for value: Int64? in [0, 7, 42, -1, nil, .max, .min, 1_000] { array.append(integer: value) }
        #expect(array.text == "{0,7,42,-1,NULL,9223372036854775807,-9223372036854775808,1000}")
    }

    /// Text is always quoted, with `"` and `\` escaped, so NULL, braces and commas stay text.
    @Test
    func text_IsQuotedAndEscaped() {
        var array = PostgresArrayLiteral()
        for value: String? in ["a", "", "NULL", nil, "{x,y}", "q\"b\\s", "\\\"", "ação"] { array.append(text: value) }
        #expect(array.text == #"{"a","","NULL",NULL,"{x,y}","q\"b\\s","\\\"","ação"}"#)
    }

    /// A NUL ends its own value (as libpq ends any text parameter there), never the elements after it.
    @Test
    func text_EndsAtNul_WithoutEndingTheArray() {
        var array = PostgresArrayLiteral()
        array.append(text: "ab\u{0}\"cd")
        array.append(text: "next")
        #expect(array.text == #"{"ab","next"}"#)
    }

    /// Booleans are `t`/`f`; an empty literal is `{}`.
    @Test
    func booleans_AndEmpty() {
        var array = PostgresArrayLiteral()
        #expect(array.text == "{}")
        array.append(boolean: true)
        array.append(boolean: false)
        #expect(array.text == "{t,f}")
    }
}
