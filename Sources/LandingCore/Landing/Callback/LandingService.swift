import Synchronization

/// The landing flow's handlers: the OAuth callback (GET query, POST form_post or fragment relay,
/// HEAD) and the session API. Pure decisions; the store is reached through `LandingStoreAccess`
/// (never blocking the event loop), templates through a provider (reloaded on SIGHUP).
public struct LandingService: Sendable {
    public let settings: LandingSettings
    public let store: LandingStoreAccess
    public let environment: LandingEnvironment
    public let templates: @Sendable () -> TemplateSet
    /// Long-poll waiters. Handlers only register and release here; the store access wakes them
    /// after each commit (`StoreWorker`'s `onCommit`, wired by the server).
    public let waiters: RecordWaiters
    /// Counts callback outcomes (here), webhook requests (the webhook handler) and sessions created
    /// and expired (`createSession`, `sessionExpiry`); a no-op by default.
    public let metrics: any LandingMetricsSink
    /// Callbacks per client address per minute (`--max-callbacks-per-address-per-minute`).
    public let callbackLimiter: CallbackRateLimiter
    /// Told the item id of every recorded callback and applied webhook (after it is durable), so
    /// the server can confirm the outcome against Pluggy's API (`PluggyConfirmer`); nil: nobody asks.
    public let itemSeen: (@Sendable (String) -> Void)?
    /// Told each callback outcome, webhook result and authentication failure (one log line each).
    public let events: any LandingEventSink
    /// The keys `/v1/` accepts; starts as `settings.apiKeys`, replaced on reload.
    public let apiKeys: APIKeyRing
    /// Looks at each session created here once it has expired, for `landing_sessions_expired_total`.
    public let sessionExpiry = SessionExpiryWatch()
    /// Status reads without a long-poll are answered from here when it holds the record (filled by
    /// store reads, evicted by commits); nil: every read goes to the store.
    public let readCache: RecordReadCache?
    let page: LandingPage

    /// `callbackLimiter` defaults to no limit: the server passes one built from
    /// `ServerConfig.maxCallbacksPerAddressPerMinute`.
    public init(
        settings: LandingSettings, store: LandingStoreAccess, environment: LandingEnvironment,
        templates: @escaping @Sendable () -> TemplateSet, waiters: RecordWaiters = RecordWaiters(),
        metrics: any LandingMetricsSink = NoLandingMetrics(),
        callbackLimiter: CallbackRateLimiter = CallbackRateLimiter(limit: 0),
        itemSeen: (@Sendable (String) -> Void)? = nil, events: any LandingEventSink = NoLandingEvents(),
        apiKeys: APIKeyRing? = nil, readCache: RecordReadCache? = nil
    ) {
        self.readCache = readCache
        self.apiKeys = apiKeys ?? APIKeyRing(settings.apiKeys)
        self.itemSeen = itemSeen
        self.events = events
        self.settings = settings
        self.waiters = waiters
        self.metrics = metrics
        self.callbackLimiter = callbackLimiter
        self.store = store
        self.environment = environment
        self.templates = templates
        self.page = LandingPage(settings: settings)
    }

    /// Adds the callback routes (`PATH`, `PATH/{sessionId}`), the session API and (with a logo) the
    /// logo to `router`.
    public func install(into router: inout Router<RouteHandler>) {
        let service = self
        if let logo = settings.logoPNG {
            router.add(.get, LandingPage.logoPath) { _, _, _ in
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "image/png")
                headers.add(name: "Cache-Control", value: "public, max-age=86400")
                headers.add(name: "X-Content-Type-Options", value: "nosniff")
                headers.add(name: "Content-Security-Policy", value: "default-src 'none'")
                return .response(HTTPResponse(status: .ok, headers: headers, body: logo))
            }
        }
        let path = settings.callbackPath
        for method in [HTTPMethod.get, .post] {
            router.add(method, path) { request, context, _ in
                service.callback(request, sessionId: nil, remoteAddress: context.remoteAddress, requestID: context.requestID)
            }
            router.add(method, path + "/{sessionId}") { request, context, parameters in
                service.callback(request, sessionId: parameters["sessionId"], remoteAddress: context.remoteAddress, requestID: context.requestID)
            }
        }
        SessionAPI(service: self).install(into: &router)
        if settings.qa { QAService(service: self).install(into: &router) }
    }

    // MARK: - Callback

    /// Handles one callback request. GET/HEAD read the query, POST the form body. With a
    /// `remoteAddress`, the callback first counts against `callbackLimiter`.
    public func callback(
        _ request: HTTPRequest, sessionId rawSessionId: String?, remoteAddress: String? = nil, requestID: String? = nil
    ) -> HandlerResult {
        let set = templates()
        // QA mode only (--qa): qa_device/qa_lang choose the audience; they and qa=1 mark a test record.
        // They are read from the same decoded pairs the callback then parses (decoded once).
        let early = settings.qa ? Self.decodeParameters(request) : nil
        let qa = early?.pairs.map { QAOverrides.read($0, languages: set.languages) } ?? .none
        let audience = LandingPage.audience(for: request.headers, languages: set.languages, qa: qa)
        let wantsJSON = request.method == .post && (request.headers["Accept"] ?? "").contains("application/json")
        let nonce = Base64URL.encode(environment.randomBytes(16))
        let postPath = request.path
        let page = self.page
        let headOnly = request.method == .head
        let metrics = self.metrics
        let events = self.events
        /// Renders the page for `outcome` and counts it in `landing_callbacks_total`.
        /// `language`: the session's chosen language, which wins over the browser's (not over QA's qa_lang).
        @Sendable func render(
            _ outcome: LandingOutcome, returnURL: String?, isTest: Bool = false, preview: Bool = false, language: String? = nil,
            bankName: String? = nil
        ) -> HTTPResponse {
            let counted: CallbackMetricOutcome = preview ? .preview : CallbackMetricOutcome(outcome)
            metrics.callback(outcome: counted, isTest: isTest || qa.isTest)
            events.record(
                LandingEvent(
                    kind: .callback, requestID: requestID, itemId: outcome.itemId, sessionId: outcome.sessionId ?? rawSessionId.flatMap { Base64URL.isSessionID($0) ? $0 : nil },
                    outcome: counted.rawValue, errorCode: outcome.error?.code, isTest: isTest || qa.isTest))
            var audience = audience
            if let language, set.languages.contains(language), qa.language == nil { audience.language = language }
            var response =
                wantsJSON
                ? page.json(outcome: outcome, audience: audience, sessionReturnURL: returnURL, nonce: nonce, templates: set)
                : page.html(
                    outcome: outcome, audience: audience, sessionReturnURL: returnURL, postPath: postPath, nonce: nonce, templates: set,
                    headOnly: headOnly, bankName: bankName)
            // RFC 9110 §10.2.3: a 503 may say when to come back; nothing was recorded, and the same
            // URL (or form) submits the callback again.
            if outcome == .unavailable {
                response.headers.add(name: "Retry-After", value: String(APIResponse.storeRetryAfterSeconds))
            }
            return response
        }

        // Every callback counts, HEAD and link-preview bots included: they cost a store read each,
        // and a real user's flow (a GET, perhaps a relay POST and a preview) stays far below the
        // limit. Refused before anything is parsed (but QA's decoding) or stored; nothing of the
        // request is echoed.
        if let remoteAddress,
            case .limited(let seconds) = callbackLimiter.check(remoteAddress, now: Double(environment.now()) / 1000)
        {
            var response = render(.rateLimited(retryAfterSeconds: seconds), returnURL: nil)
            // RFC 6585 §4: a 429 MAY include Retry-After; RFC 9110 §10.2.3: delay-seconds.
            response.headers.add(name: "Retry-After", value: String(seconds))
            return .response(response)
        }

        let pairs: [(name: String, value: String)]
        switch early ?? Self.decodeParameters(request) {
        case .pairs(let decoded):
            pairs = decoded
        case .notAForm:
            var response = render(.invalid(explanation: "The callback must be sent as a form (application/x-www-form-urlencoded)."), returnURL: nil)
            response.status = .unsupportedMediaType
            return .response(response)
        case .malformed:
            return .response(render(.invalid(explanation: "The callback's parameters are not correctly encoded."), returnURL: nil))
        }

        // A session path segment that cannot be one of ours is an expired link; no store access.
        if let rawSessionId, !Base64URL.isSessionID(rawSessionId) {
            return .response(render(.expired, returnURL: nil))
        }
        let sessionId = rawSessionId

        // Nothing at all in the query: the parameters may be in the fragment (response_mode=fragment),
        // which only the page can see. It posts them back here.
        if pairs.isEmpty && request.method != .post {
            return .response(render(.relay(sessionId: sessionId), returnURL: nil))
        }

        let parameters: CallbackParameters
        // why: QA's parameters are removed only when one has a value (`qa.isTest`): otherwise any
        // there are empty, and `parse` drops empty parameters before anything else.
        switch CallbackParameters.parse(qa.isTest ? QAOverrides.removing(from: pairs) : pairs) {
        case .success(let p): parameters = p
        case .failure(let error): return .response(render(.invalid(explanation: error.explanation), returnURL: nil))
        }
        guard parameters.itemId != nil || sessionId != nil else {
            // Nothing identifies the connection: the description is nobody's we know (content spoofing).
            return .response(render(LandingOutcome.unidentified(error: parameters.error).withoutBankDetail, returnURL: nil))
        }

        let event = CallbackEvent(
            itemId: parameters.itemId, sessionId: sessionId, error: parameters.error, rawParameters: parameters.rawParameters,
            droppedParameters: parameters.droppedParameters, receivedAt: environment.now(), isTest: qa.isTest)

        // HEAD and link-preview bots see the page a GET would show but never change state: the
        // same rules run on the stored records read-only, and nothing is written.
        if headOnly || DeviceClass.isLinkPreviewBot(headers: request.headers) {
            let store = self.store
            return .deferred { complete in
                store.perform({ (store) throws(StoreError) -> CallbackRecordResult in
                    let session = try sessionId.map { (id) throws(StoreError) in try store.session(id: id) } ?? nil
                    let item = try event.itemId.map { (id) throws(StoreError) in try store.item(id: id) } ?? nil
                    return CallbackRules.apply(event, session: session, item: item).result
                }) { result in
                    switch result {
                    case .success(.recorded(let record, _)):
                        let outcome = Self.shownOutcome(record, callbackAt: event.receivedAt)
                        complete { render(outcome, returnURL: record.returnURL, isTest: record.isTest, preview: true, language: record.language, bankName: record.connectorName) }
                    case .success(.unknownSession):
                        complete { render(.expired, returnURL: nil, preview: true) }
                    case .failure:
                        complete { render(.unavailable, returnURL: nil, preview: true) }
                    }
                }
            }
        }

        let store = self.store
        let itemSeen = self.itemSeen
        return .deferred { complete in
            // The store access announces the records this changed (waking their long-polls).
            store.recordCallback(event) { result in
                switch result {
                case .success(.recorded(let record, _)):
                    let outcome = Self.shownOutcome(record, callbackAt: event.receivedAt)
                    complete { render(outcome, returnURL: record.returnURL, isTest: record.isTest, language: record.language, bankName: record.connectorName) }
                    if let itemId = record.itemId ?? event.itemId, !event.isTest { itemSeen?(itemId) }
                case .success(.unknownSession):
                    complete { render(.expired, returnURL: nil, isTest: event.isTest) }
                case .failure:
                    complete { render(.unavailable, returnURL: nil, isTest: event.isTest) }
                }
            }
        }
    }

    /// A callback's parameters, decoded (`FormDecoder`), or why they could not be.
    enum DecodedParameters {
        case pairs([(name: String, value: String)])
        /// A POST whose body is not `application/x-www-form-urlencoded` (415).
        case notAForm
        case malformed

        var pairs: [(name: String, value: String)]? { if case .pairs(let pairs) = self { pairs } else { nil } }
    }

    /// The parameters: the query for GET/HEAD, the form body for POST (RFC 6749 form_post).
    static func decodeParameters(_ request: HTTPRequest) -> DecodedParameters {
        do throws(FormDecodingError) {
            if request.method == .post {
                let contentType = (request.headers["Content-Type"] ?? "").lowercased()
                guard contentType.hasPrefix("application/x-www-form-urlencoded") else { return .notAForm }
                return .pairs(try FormDecoder.decode(request.body))
            }
            return .pairs(try FormDecoder.decode((request.query ?? "").utf8))
        } catch {
            return .malformed
        }
    }

    /// The outcome the page shows for `record`: the bank's description only when the callback can
    /// be attributed (`LandingOutcome.isAttributable`); the stored record keeps it either way (the
    /// app reads it through the authenticated API).
    static func shownOutcome(_ record: LandingRecord, callbackAt time: Int64) -> LandingOutcome {
        let outcome = LandingOutcome.from(record: record)
        return LandingOutcome.isAttributable(record, callbackAt: time) ? outcome : outcome.withoutBankDetail
    }
}
