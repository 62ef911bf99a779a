extension TemplateSet {
    /// Catalog keys the landing page's code reads itself (titles and messages by outcome, labels),
    /// besides the `t.*` names its template uses.
    public static let landingCatalogKeys = [
        "title_completed", "message_completed", "title_failed", "error_other", "title_unidentified",
        "message_unidentified", "title_invalid", "message_invalid", "title_expired", "message_expired",
        "title_relay", "message_relay", "title_unavailable", "message_unavailable", "title_rate_limited",
        "message_rate_limited", "detail_label", "detail_label_request", "button_return", "button_return_named",
        "mobile_go_back", "mobile_go_back_named",
    ]

    /// Catalog keys the QA page's code reads.
    public static let qaCatalogKeys = [
        "qa_status_idle", "qa_status_waiting", "qa_status_none", "qa_status_request_failed", "qa_status_test",
        "qa_status_callbacks",
    ]

    /// What keeps this set from serving: each template the server renders must exist (`landing`,
    /// and `qa` when the QA pages are on), and every `t.KEY` a template uses and every key the
    /// code reads must be in the catalogs (`parse` already made every catalog carry the reference
    /// catalog's keys, so checking the reference suffices). Empty when the set can serve.
    public func servingProblems(qa: Bool) -> [String] {
        var problems: [String] = []
        let required: [(template: String, keys: [String])] =
            [("landing", Self.landingCatalogKeys)] + (qa ? [("qa", Self.qaCatalogKeys)] : [])
        for (name, _) in required where template(named: name) == nil {
            problems.append("no template \(Self.fileName(ofTemplate: name)): the server renders it")
        }
        let reference = catalog(for: Self.referenceLanguage)
        if reference == nil {
            problems.append("no string catalog \(Self.fileName(ofCatalog: Self.referenceLanguage)): the pages' texts come from it")
        }
        for (name, codeKeys) in required {
            guard let template = template(named: name), let reference else { continue }
            let templateKeys = template.referencedNames.filter { $0.hasPrefix("t.") }.map { String($0.dropFirst(2)) }
            let missing = Set(templateKeys + codeKeys).filter { reference[$0] == nil }.sorted()
            if !missing.isEmpty {
                problems.append(
                    "\(Self.fileName(ofCatalog: Self.referenceLanguage)) lacks key\(missing.count == 1 ? "" : "s")"
                        + " \(missing.joined(separator: ", ")) used by \(Self.fileName(ofTemplate: name)) or its page")
            }
        }
        return problems
    }
}
