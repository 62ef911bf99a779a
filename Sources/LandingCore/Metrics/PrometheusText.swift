/// The Prometheus text exposition format, version 0.0.4: `# HELP` and `# TYPE` lines, then one
/// `name{label="value",...} value` line per sample, every line ending in `\n`.
/// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format)
public enum PrometheusText {
    /// The `Content-Type` a scrape of this format is answered with.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Renders `families` in order. Families that share a name are written once, with the samples of
    /// all of them (the format requires every line of a family to be contiguous), and the help and
    /// type of the first.
    public static func render(_ families: [MetricFamily]) -> String {
        var order: [String] = []
        var merged: [String: MetricFamily] = [:]
        for family in families {
            if merged[family.name] == nil {
                order.append(family.name)
                merged[family.name] = family
            } else {
                merged[family.name]!.samples += family.samples
            }
        }
        var out = ""
        out.reserveCapacity(order.count * 256)
        for name in order {
            let family = merged[name]!
            // Format: "# HELP metric_name docstring", with `\` and line feed escaped in the docstring.
            out += "# HELP \(name) \(escapeHelp(family.help))\n"
            out += "# TYPE \(name) \(family.kind.rawValue)\n"
            for sample in family.samples {
                out += name
                out += sample.suffix
                if !sample.labels.isEmpty {
                    out += "{"
                    for (index, label) in sample.labels.enumerated() {
                        if index > 0 { out += "," }
                        out += label.name
                        out += "=\""
                        out += escapeLabelValue(label.value)
                        out += "\""
                    }
                    out += "}"
                }
                out += " "
                out += format(sample.value)
                out += "\n"
            }
        }
        return out
    }

    /// Format: "label_value can be any sequence of UTF-8 characters, but the backslash (`\`),
    /// double-quote (`"`), and line feed (`\n`) characters have to be escaped as `\\`, `\"`, and `\n`."
    public static func escapeLabelValue(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else {
            return value
        }
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Format: in `# HELP` docstrings, "backslash and line feed characters have to be escaped as `\\`
    /// and `\n`" (a double quote stays as is).
    public static func escapeHelp(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A sample value: "a float represented as required by Go's ParseFloat() function. In addition to
    /// standard numerical values, NaN, +Inf, and -Inf are valid values." Whole numbers are written
    /// without a fraction (`3`, not `3.0`), like the reference client does for bucket bounds.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        // why: 2^53 bounds the integers a Double holds exactly; beyond that the shortest decimal
        // (with an exponent) is the honest form.
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            return String(Int64(value))
        }
        return value.description
    }
}
