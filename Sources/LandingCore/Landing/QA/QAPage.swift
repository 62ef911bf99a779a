/// The `/qa` page: the scenarios by group, each with its link, its expected outcome and a live
/// status cell; a form to build any callback. Rendered from the `qa` template and the `qa_*`
/// strings of the catalogs. Pure.
struct QAPage {
    let callbackPath: String
    /// The template set's languages, default first (the `qa_lang` choices).
    let languages: [String]

    /// The page as UTF-8, or nil when the template set has no `qa` template.
    func render(templates: TemplateSet, language: String, nonce: String, scenarios: [QAScenario], builderItemId: String) -> [UInt8]? {
        guard templates.template(named: "qa") != nil else { return nil }
        let catalog = templates.catalog(for: language) ?? [:]
        let context = self.context(catalog: catalog, language: language, nonce: nonce, scenarios: scenarios, builderItemId: builderItemId)
        return try? templates.renderBytes("qa", context: context)
    }

    /// The template context (see `templates/qa.html`).
    func context(catalog: [String: String], language: String, nonce: String, scenarios: [QAScenario], builderItemId: String) -> TemplateValue {
        func t(_ key: String) -> String { catalog[key] ?? key }
        var groups: [TemplateValue] = []
        for group in QAScenario.Group.allCases {
            let rows = scenarios.filter { $0.group == group }
            guard !rows.isEmpty else { continue }
            groups.append([
                "id": .string(group.rawValue),
                "title": .string(t("qa_group_" + group.rawValue)),
                "scenarios": .list(rows.map { (scenario) -> TemplateValue in
                    [
                        "id": .string(scenario.id),
                        "label": .string(t(scenario.labelKey)),
                        "detail": scenario.detail.map { .string($0) } ?? .null,
                        "href": .string(scenario.url(base: "", callbackPath: callbackPath)),
                        "expected": .string(scenario.expectedStatus),
                        "itemId": .string(scenario.itemId ?? ""),
                        "isSession": .bool(scenario.mode == .session),
                    ]
                }),
            ])
        }
        var strings: [String: TemplateValue] = [:]
        for (key, value) in catalog { strings[key] = .string(value) }
        let data: TemplateValue = [
            "statusPath": .string(QAService.statusPath),
            "sessionsPath": .string(QAService.sessionsPath),
            "callbackPath": .string(callbackPath),
            "formPostPath": .string(QAScenarios.formPostPath),
            "sessionHelperPath": .string(QAScenarios.sessionHelperPath),
            "text": [
                "idle": .string(t("qa_status_idle")),
                "waiting": .string(t("qa_status_waiting")),
                "none": .string(t("qa_status_none")),
                "failed": .string(t("qa_status_request_failed")),
                "test": .string(t("qa_status_test")),
                "callbacks": .string(t("qa_status_callbacks")),
            ],
        ]
        return [
            "lang": .string(language),
            "nonce": .string(nonce),
            "t": .object(strings),
            "groups": .list(groups),
            "builder": [
                "callbackPath": .string(callbackPath),
                "itemId": .string(builderItemId),
                "errorCodes": .list(CallbackParameters.knownErrorCodes.map { .string($0) }),
                "devices": .list(QADevice.allCases.map { .string($0.rawValue) }),
                "languages": .list(languages.map { .string($0) }),
            ],
            "openerPath": .string(QAService.openerPath),
            "data": data,
        ]
    }
}
