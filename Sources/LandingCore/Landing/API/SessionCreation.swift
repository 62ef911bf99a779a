/// Creating a session, shared by `POST /v1/sessions` (`SessionAPI`) and `POST /qa/sessions`
/// (`QAService`): one id scheme, one expiry rule, one answer shape.
extension LandingService {
    /// Creates a session with a fresh random id expiring `ttl` seconds from now, and answers 201
    /// `{id, redirectUri, statusUrl, expiresAt}` (plus `clientUserId` when given, as stored, and
    /// `"test": true` for a test session) once it is durable, or the store's failure. `statusPath`
    /// gives the path (under `--public-url`) where the session's status is read, given its id. A
    /// created session is counted (`sessionCreated`) and followed until its expiry (`sessionExpiry`).
    func createSession(
        clientUserId: String?, returnURL: String?, ttl: Double, isTest: Bool, language: String? = nil,
        statusPath: @escaping @Sendable (String) -> String
    ) -> HandlerResult {
        let now = environment.now()
        let id = Base64URL.encode(environment.randomBytes(16))
        let session = NewSession(
            id: id, clientUserId: clientUserId, returnURL: returnURL, createdAt: now, expiresAt: now + Int64(ttl * 1000),
            isTest: isTest, language: language)
        let settings = self.settings
        let store = self.store
        let service = self
        return .deferred { complete in
            store.createSession(session) { result in
                switch result {
                case .success(let record):
                    service.metrics.sessionCreated()
                    service.sessionExpiry.watch(sessionId: id, expiresAt: record.expiresAt ?? session.expiresAt, service: service)
                    var fields: [String: Any] = [
                        "id": id,
                        "redirectUri": settings.publicURL + settings.callbackPath + "/" + id,
                        "statusUrl": settings.publicURL + statusPath(id),
                        "expiresAt": StatusDocument.rfc3339(record.expiresAt ?? session.expiresAt),
                    ]
                    if let clientUserId = record.clientUserId { fields["clientUserId"] = clientUserId }
                    if isTest { fields["test"] = true }
                    let response = APIResponse.json(.created, fields)
                    complete { response }
                case .failure(let error):
                    complete { APIResponse.storeFailure(error, retry: "The session could not be stored; try again.") }
                }
            }
        }
    }
}
