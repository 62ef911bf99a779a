import Foundation

/// `--api-keys-file`: one API key per line; blank lines and `#` comments ignored; each key must
/// pass the same rule as `--api-key`. Errors name the line, never the key.
public enum APIKeysFile {
    public static func parse(_ text: String, file: String) throws(ConfigError) -> [String] {
        var keys: [String] = []
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = String(line).trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            do {
                let key = try ConfigValueParser.apiKey(trimmed)
                if !keys.contains(key) { keys.append(key) }
            } catch {
                throw ConfigError.conflict("\(file):\(index + 1): invalid API key (\(ConfigValueParser.apiKeyLength.lowerBound) to \(ConfigValueParser.apiKeyLength.upperBound) visible ASCII characters, no spaces or commas)")
            }
        }
        return keys
    }
}
