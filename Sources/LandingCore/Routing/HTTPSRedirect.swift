/// The plain-HTTP listener's application: every request gets 308 Permanent Redirect to the same
/// path and query under the configured public HTTPS URL. The Host header is never used: absolute URLs
/// come only from configuration.
public enum HTTPSRedirect {
    public static func application(publicURL: String) -> Application {
        let base = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        return Application { request, _ in
            guard request.path.hasPrefix("/") else {
                return .response(.text(.badRequest, "400 Bad Request: only origin-form request targets can be redirected."))
            }
            var location = base + request.path
            if let query = request.query { location += "?" + query }
            var response = HTTPResponse.text(.permanentRedirect, "308 Permanent Redirect: this service is only available over HTTPS.")
            response.headers.add(name: "Location", value: location)
            return .response(response)
        }
    }
}
