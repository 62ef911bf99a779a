/// The requests this server makes to Pluggy's API, built as values (the shell sends them).
public enum PluggyAPI {
    /// The default API location.
    public static let defaultURL = "https://api.pluggy.ai"

    /// `POST /auth` with `{"clientId": …, "clientSecret": …}` (JSON-escaped).
    public static func authRequest(clientId: String, clientSecret: String, basePath: String = "") -> HTTPClientRequest {
        var body: [UInt8] = Array("{\"clientId\":".utf8)
        JSONLine.appendQuoted(clientId, to: &body)
        body.append(contentsOf: ",\"clientSecret\":".utf8)
        JSONLine.appendQuoted(clientSecret, to: &body)
        body.append(UInt8(ascii: "}"))
        // The target and fields are constant and valid: the build cannot fail.
        return try! HTTPClientRequest(
            method: .post, target: basePath + "/auth",
            headers: HTTPHeaders([("Content-Type", "application/json"), ("Accept", "application/json")]), body: body)
    }

    /// `GET /items/{id}` with `X-API-KEY`. nil when `itemId` is not an item id
    /// (`CallbackParameters.isValidItemId`, and not `.` or `..`, which would change the path) or the
    /// key is not a valid field value.
    public static func itemRequest(itemId: String, apiKey: String, basePath: String = "") -> HTTPClientRequest? {
        guard CallbackParameters.isValidItemId(itemId), itemId != ".", itemId != ".." else { return nil }
        return try? HTTPClientRequest(
            method: .get, target: "\(basePath)/items/\(itemId)",
            headers: HTTPHeaders([("X-API-KEY", apiKey), ("Accept", "application/json")]))
    }
}
