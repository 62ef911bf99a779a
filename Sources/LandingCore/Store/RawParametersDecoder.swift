/// Reads the `raw_parameters` column (`RecordColumns.encode`'s JSON, or what `JSONEncoder` wrote
/// before it): a JSON array of objects with string members `name` and `value`, parsed by the
/// project's RFC 8259 parser (`JSONValue`, the one `--config` files go through), so a read of a
/// record builds no `JSONDecoder`/`Data`. Any JSON text of that shape is accepted (whitespace,
/// member order, every escape including surrogate pairs); other members are ignored when their
/// value is a string; anything else is `nil` (the caller reports the row corrupt).
// why: JSONDecoder cost ~10k instructions per record read, more than the rest of the row mapping.
enum RawParametersDecoder {
    /// The parameters in `text`, or nil when it is not a JSON parameter list.
    static func decode(_ text: String) -> [RawParameter]? {
        guard case .array(let items)? = try? JSONValue.parse(Array(text.utf8)) else { return nil }
        var parameters: [RawParameter] = []
        parameters.reserveCapacity(items.count)
        for item in items {
            guard case .object(let members) = item else { return nil }
            var name: String?
            var value: String?
            for member in members {
                guard case .string(let text) = member.value else { return nil }
                if member.key == "name" {
                    name = text
                } else if member.key == "value" {
                    value = text
                }
            }
            guard let name, let value else { return nil }
            parameters.append(RawParameter(name: name, value: value))
        }
        return parameters
    }
}
