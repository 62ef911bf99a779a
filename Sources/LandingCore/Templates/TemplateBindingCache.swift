import Synchronization

/// A template's bindings to the layouts it has been rendered with, computed on first use. A
/// server uses one or two layouts, so a short list searched by identity does.
final class TemplateBindingCache: Sendable {
    private let entries = Mutex<[(layout: TemplateLayout, bindings: [TemplateLayout.Binding])]>([])

    init() {}

    /// The bindings of `paths` to `layout`, computed once per layout.
    func bindings(for layout: TemplateLayout, paths: [TemplatePath]) -> [TemplateLayout.Binding] {
        if let found = entries.withLock({ $0.first(where: { $0.layout === layout })?.bindings }) { return found }
        let bindings = layout.bind(paths)
        entries.withLock { entries in
            if !entries.contains(where: { $0.layout === layout }) { entries.append((layout, bindings)) }
        }
        return bindings
    }
}
