import Foundation
import Testing

/// Where the browser and its driver are, and whether the browser tests must run.
enum BrowserEnvironment {
    /// `LANDING_CHROMEDRIVER`, else `chromedriver` on the usual paths.
    static let chromedriver: String? = find(override: "LANDING_CHROMEDRIVER", ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver", "/usr/local/bin/chromedriver"])
    /// `LANDING_CHROMIUM`, else Debian's `chromium` (or another Chromium build) on the usual paths.
    static let chromium: String? = find(override: "LANDING_CHROMIUM", ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"])

    /// On CI (`CI` set and not "false"/"0") the browser tests always run: a missing browser fails them.
    static var isCI: Bool {
        let value = (ProcessInfo.processInfo.environment["CI"] ?? "").lowercased()
        return !value.isEmpty && value != "false" && value != "0"
    }

    /// Run unless the browser or the driver is absent on a developer machine.
    static var shouldRun: Bool { (chromedriver != nil && chromium != nil) || isCI }

    private static func find(override: String, _ candidates: [String]) -> String? {
        if let path = ProcessInfo.processInfo.environment[override], !path.isEmpty { return path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// What the browser tests share, started once per test run and stopped at exit: chromedriver; the
/// landing server in QA mode; a second server on another port (so another origin) whose
/// `/qa/opener` page plays the app's web page that opens the landing page in a popup.
final class BrowserFixture: @unchecked Sendable {  // why: immutable after init.
    static let returnURL = "https://app.example.com/connected"
    static let androidPackage = "com.example.app"

    let driver: ChromeDriverProcess
    let chromium: String
    /// The app's page (`/qa/opener`), on its own origin.
    let opener: ServerProcess
    /// The server under test: `--qa`, `--opener-origin` = the opener's origin, a return URL, an Android package.
    let landing: ServerProcess

    var landingOrigin: String { landing.baseURL }
    var openerOrigin: String { opener.baseURL }

    private init() throws {
        guard let chromium = BrowserEnvironment.chromium, let chromedriver = BrowserEnvironment.chromedriver else {
            throw E2EError("chromium and chromium-driver are needed (apt-get install chromium chromium-driver; scripts/install-deps.sh test)")
        }
        self.chromium = chromium
        opener = try ServerProcess(["--qa"], threads: 1)
        landing = try ServerProcess(
            [
                "--qa", "--opener-origin", opener.baseURL, "--return-url", Self.returnURL, "--allowed-return-url", "https://app.example.com/",
                "--android-package", Self.androidPackage,
            ], threads: 2)
        driver = try ChromeDriverProcess(executable: chromedriver)
    }

    private static let started: Result<BrowserFixture, E2EError> = {
        do {
            return .success(try BrowserFixture())
        } catch let error as E2EError {
            return .failure(error)
        } catch {
            return .failure(E2EError("\(error)"))
        }
    }()

    /// The shared fixture (started on first use).
    static func shared() throws -> BrowserFixture { try started.get() }

    /// A new browser session; the caller quits it.
    func session(_ profile: BrowserProfile = .desktop) throws -> WebDriverSession {
        try WebDriverSession(driver: driver, chromium: chromium, profile: profile)
    }

    /// A fresh item id for one test, so tests never share a record.
    static func itemId(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// A new session created through the API (`POST /v1/sessions`); its id.
    func createSession() throws -> String {
        let transfer = try Curl.fetch(
            landing.baseURL + "/v1/sessions",
            ["-X", "POST", "-H", "Authorization: Bearer \(ServerProcess.apiKey)", "-H", "Content-Type: application/json", "--data", "{}"],
            timeout: 15)
        let json = (try? JSONSerialization.jsonObject(with: Data(transfer.response.body))) as? [String: Any] ?? [:]
        guard transfer.response.status == 201, let id = json["id"] as? String else {
            throw E2EError("POST /v1/sessions answered \(transfer.response.status)")
        }
        return id
    }

    /// The record of `itemId` through the status API (`GET /v1/items/{id}` with the API key).
    func readItem(_ itemId: String) throws -> (status: Int, json: [String: Any]) {
        let transfer = try Curl.fetch(landing.baseURL + "/v1/items/" + itemId, ["-H", "Authorization: Bearer \(ServerProcess.apiKey)"], timeout: 15)
        let json = (try? JSONSerialization.jsonObject(with: Data(transfer.response.body))) as? [String: Any] ?? [:]
        return (transfer.response.status, json)
    }
}

/// What the browser logged that a clean page must not: CSP violations, failed requests (network
/// errors, blocked requests, HTTP ≥ 400) and any other console error.
struct BrowserLogReport: CustomStringConvertible {
    var cspViolations: [String] = []
    var failedRequests: [String] = []
    var consoleErrors: [String] = []

    var isClean: Bool { cspViolations.isEmpty && failedRequests.isEmpty && consoleErrors.isEmpty }

    var description: String {
        "CSP violations: \(cspViolations)\nfailed requests: \(failedRequests)\nconsole errors: \(consoleErrors)"
    }

    /// Reads (and drains) the session's console and network logs.
    static func collect(_ session: WebDriverSession) throws -> BrowserLogReport {
        var report = BrowserLogReport()
        for entry in try session.logs("browser") {
            let message = entry["message"] as? String ?? ""
            if message.contains("Content Security Policy") || message.contains("Refused to") {
                report.cspViolations.append(message)
            } else if entry["level"] as? String == "SEVERE" {
                report.consoleErrors.append(message)
            }
        }
        var urls: [String: String] = [:]
        for entry in try session.logs("performance") {
            guard let text = entry["message"] as? String,
                let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
                let message = object["message"] as? [String: Any], let method = message["method"] as? String,
                let params = message["params"] as? [String: Any]
            else { continue }
            let requestId = params["requestId"] as? String ?? ""
            switch method {
            case "Network.requestWillBeSent":
                urls[requestId] = (params["request"] as? [String: Any])?["url"] as? String
            case "Network.responseReceived":
                let response = params["response"] as? [String: Any] ?? [:]
                if let status = response["status"] as? Int, status >= 400 {
                    report.failedRequests.append("HTTP \(status) \(response["url"] as? String ?? "?")")
                }
            case "Network.loadingFailed":
                // why: a request cancelled because its window closed (the popup) did not fail.
                if params["canceled"] as? Bool == true { continue }
                let reason = params["blockedReason"] as? String ?? params["errorText"] as? String ?? "failed"
                report.failedRequests.append("\(reason) \(urls[requestId] ?? requestId)")
            default:
                continue
            }
        }
        return report
    }
}

/// Screenshots the browser tests take: always written to a temporary directory; also to
/// `docs/screenshots/` (the images the README shows) when `LANDING_UPDATE_SCREENSHOTS=1`.
enum BrowserScreenshots {
    static let temporaryDirectory = NSTemporaryDirectory() + "oauth-landing-screenshots"
    static var updatesDocs: Bool { ProcessInfo.processInfo.environment["LANDING_UPDATE_SCREENSHOTS"] == "1" }

    /// Saves `session`'s viewport as `name.png`; returns the paths written.
    @discardableResult
    static func save(_ session: WebDriverSession, as name: String) throws -> [String] {
        let png = try session.screenshot()
        var directories = [temporaryDirectory]
        if updatesDocs { directories.append(ServerProcess.repositoryRoot + "/docs/screenshots") }
        var written: [String] = []
        for directory in directories {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = directory + "/" + name + ".png"
            try png.write(to: URL(fileURLWithPath: path), options: .atomic)
            written.append(path)
        }
        return written
    }
}
