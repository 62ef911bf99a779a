/// How `check-config` prints its report: for people (`text`, the default) or for programs (`json`).
public enum CheckConfigFormat: String, CaseIterable, Equatable, Sendable {
    case text
    case json
}
