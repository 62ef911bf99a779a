import Foundation
import Glibc

/// A WebDriver command the browser refused (W3C WebDriver §6.6: `{"value": {"error", "message"}}`),
/// or a transport failure talking to chromedriver.
struct WebDriverError: Error, CustomStringConvertible {
    var error: String
    var message: String
    var description: String { "WebDriver \(error): \(message)" }
}

/// The HTTP side of the WebDriver protocol: one JSON request per connection to chromedriver on
/// 127.0.0.1.
/// why: not URLSession. On Linux, FoundationNetworking rejects chromedriver's responses with
/// "Failed writing header" (chromedriver writes `Content-Length:250`, no space after the colon),
/// so the client speaks HTTP/1.1 itself over `TestSocket`; the exchange is small and local.
enum WebDriverHTTP {
    /// Sends `method path` with `body` as JSON and returns the status and the decoded JSON object.
    static func send(port: UInt16, _ method: String, _ path: String, body: Any? = nil, timeout: Double) throws -> (status: Int, json: [String: Any]) {
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: application/json\r\nConnection: close\r\n"
        if body != nil || method == "POST" {
            head += "Content-Type: application/json; charset=utf-8\r\nContent-Length: \(payload.count)\r\n"
        }
        let socket: TestSocket
        do {
            socket = try TestSocket(port: port)
            try socket.send(Array((head + "\r\n").utf8) + Array(payload))
        } catch {
            throw WebDriverError(error: "transport", message: "\(method) \(path): \(error)")
        }
        defer { socket.close() }
        var buffer: [UInt8] = []
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            if let response = E2EResponse.take(from: &buffer) {
                let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
                return (response.status, object)
            }
            switch socket.receive(timeout: max(0, deadline.timeIntervalSinceNow)) {
            case .data(let bytes): buffer += bytes
            case .closed:
                // why: without Content-Length the body ends at the close.
                if let end = E2EResponse.headEnd(buffer), var response = E2EResponse.parseHead(String(decoding: buffer[..<end], as: UTF8.self)) {
                    response.body = Array(buffer[(end + 4)...])
                    let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
                    return (response.status, object)
                }
                throw WebDriverError(error: "transport", message: "\(method) \(path): chromedriver closed the connection")
            case .timeout:
                throw WebDriverError(error: "timeout", message: "\(method) \(path): no answer from chromedriver within \(timeout) s")
            }
        }
    }
}

/// `chromedriver` running as a child on a port it chose (`--port=0`). Foundation starts children
/// as process-group leaders, so stopping signals the whole group: chromedriver and every chromium
/// process it started.
final class ChromeDriverProcess: @unchecked Sendable {  // why: immutable after init; Subprocess locks.
    let child: Subprocess
    let port: UInt16

    init(executable: String, startTimeout: Double = 20) throws {
        let child = try Subprocess(executable, ["--port=0"])
        self.child = child
        Self.register(child)
        var port: UInt16?
        _ = child.stdout.wait(timeout: startTimeout) { text in
            guard let range = text.range(of: "started successfully on port ") else { return false }
            port = UInt16(text[range.upperBound...].prefix { $0.isNumber })
            return port != nil
        }
        guard let port else {
            Self.killGroup(child)
            throw E2EError("chromedriver did not start within \(startTimeout) s: \(child.stdout.text) \(child.stderr.text)")
        }
        self.port = port
        let deadline = Date(timeIntervalSinceNow: startTimeout)
        while Date() < deadline {
            if let status = try? WebDriverHTTP.send(port: port, "GET", "/status", timeout: 5),
                (status.json["value"] as? [String: Any])?["ready"] as? Bool == true
            {
                return
            }
            usleep(50_000)
        }
        Self.killGroup(child)
        throw E2EError("chromedriver on port \(port) never reported ready")
    }

    /// Stops chromedriver and its browsers: SIGTERM to the group, SIGKILL after `grace` seconds.
    func stop(grace: Double = 5) {
        defer { Self.unregister(child) }
        guard !child.hasExited else { return }
        Glibc.kill(-child.pid, SIGTERM)
        if child.waitForExit(timeout: grace) == nil { Self.killGroup(child) }
        // why: chromium children may outlive chromedriver by a moment; the group goes with them.
        Glibc.kill(-child.pid, SIGKILL)
    }

    deinit { stop() }

    private static func killGroup(_ child: Subprocess) {
        Glibc.kill(-child.pid, SIGKILL)
        _ = child.waitForExit(timeout: 5)
    }

    // MARK: - Cleanup at exit

    private static let live = E2ELocked<[Int32: Subprocess]>([:])
    private static let atExitInstalled: Void = {
        atexit {
            let children = ChromeDriverProcess.live.withLock { Array($0.values) }
            for child in children { Glibc.kill(-child.pid, SIGKILL) }
        }
    }()

    private static func register(_ child: Subprocess) {
        atExitInstalled
        live.withLock { $0[child.pid] = child }
    }

    private static func unregister(_ child: Subprocess) {
        _ = live.withLock { $0.removeValue(forKey: child.pid) }
    }
}

/// What a browser session emulates.
struct BrowserProfile: Sendable {
    /// Mobile emulation (chromedriver's `mobileEmulation`): viewport, pixel ratio, touch, UA.
    struct Mobile: Sendable {
        var name: String
        var width: Int
        var height: Int
        var pixelRatio: Double
        var userAgent: String
    }

    var windowWidth = 1000
    var windowHeight = 720
    var acceptLanguage = "en-US,en"
    var mobile: Mobile?

    static let desktop = BrowserProfile()

    static let iPhone = BrowserProfile(
        mobile: Mobile(
            name: "iPhone", width: 390, height: 844, pixelRatio: 2,
            userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"))

    static let android = BrowserProfile(
        mobile: Mobile(
            name: "Android", width: 412, height: 915, pixelRatio: 2,
            userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"))

    /// The W3C capabilities for chromedriver (headless chromium, self-signed certificates accepted,
    /// console and network logs recorded).
    func capabilities(chromium: String) -> [String: Any] {
        var arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--ignore-certificate-errors",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--force-color-profile=srgb",
            "--window-size=\(windowWidth),\(windowHeight)", "--accept-lang=\(acceptLanguage)", "--lang=\(acceptLanguage.split(separator: ",")[0])",
        ]
        if mobile != nil { arguments.append("--touch-events=enabled") }
        var chromeOptions: [String: Any] = [
            "binary": chromium,
            "args": arguments,
            "perfLoggingPrefs": ["enableNetwork": true, "enablePage": false],
        ]
        if let mobile {
            chromeOptions["mobileEmulation"] = [
                "deviceMetrics": ["width": mobile.width, "height": mobile.height, "pixelRatio": mobile.pixelRatio, "touch": true, "mobile": true],
                "userAgent": mobile.userAgent,
            ]
        }
        return [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "acceptInsecureCerts": true,
                    "pageLoadStrategy": "normal",
                    "timeouts": ["pageLoad": 15_000, "script": 10_000, "implicit": 0],
                    "goog:loggingPrefs": ["browser": "ALL", "performance": "ALL"],
                    "goog:chromeOptions": chromeOptions,
                ] as [String: Any]
            ]
        ]
    }
}

/// An element reference (W3C WebDriver §12: the `element-6066-…` key).
struct WebElement: Sendable {
    static let key = "element-6066-11e4-a52e-4f735466cecf"
    let id: String
}

/// One browser session over the W3C WebDriver protocol: the handful of commands the browser
/// tests use. Every call has a timeout; `quit()` closes the browser.
final class WebDriverSession {
    let port: UInt16
    let id: String
    let profile: BrowserProfile
    private var quitted = false

    init(driver: ChromeDriverProcess, chromium: String, profile: BrowserProfile = .desktop) throws {
        self.port = driver.port
        self.profile = profile
        let started = Date()
        let (status, json) = try WebDriverHTTP.send(port: driver.port, "POST", "/session", body: profile.capabilities(chromium: chromium), timeout: 60)
        Self.trace("POST", "/session", since: started)
        guard status == 200, let value = json["value"] as? [String: Any], let id = value["sessionId"] as? String else {
            throw Self.error(from: json, status: status, command: "new session")
        }
        self.id = id
    }

    deinit { quit() }

    /// Ends the session (and closes its browser). Safe to call twice.
    func quit() {
        guard !quitted else { return }
        quitted = true
        let started = Date()
        _ = try? WebDriverHTTP.send(port: port, "DELETE", "/session/\(id)", timeout: 20)
        Self.trace("DELETE", "", since: started)
    }

    /// With `LANDING_WEBDRIVER_TRACE=1`, prints each command and its duration on stderr.
    static let tracing = ProcessInfo.processInfo.environment["LANDING_WEBDRIVER_TRACE"] == "1"
    private static func trace(_ method: String, _ path: String, since started: Date) {
        guard tracing else { return }
        FileHandle.standardError.write(Data(String(format: "webdriver %6.0f ms %@ %@\n", Date().timeIntervalSince(started) * 1000, method, path).utf8))
    }

    /// Runs one command of this session and returns its `value`.
    @discardableResult
    func command(_ method: String, _ path: String, _ body: [String: Any]? = nil, timeout: Double = 30) throws -> Any? {
        let started = Date()
        defer { Self.trace(method, path, since: started) }
        let (status, json) = try WebDriverHTTP.send(port: port, method, "/session/\(id)" + path, body: body ?? (method == "POST" ? [:] : nil), timeout: timeout)
        guard status == 200 else { throw Self.error(from: json, status: status, command: "\(method) \(path)") }
        let value = json["value"]
        return value is NSNull ? nil : value
    }

    private static func error(from json: [String: Any], status: Int, command: String) -> WebDriverError {
        let value = json["value"] as? [String: Any]
        return WebDriverError(
            error: value?["error"] as? String ?? "HTTP \(status)", message: "\(command): \(value?["message"] as? String ?? "\(json)")")
    }

    // MARK: - Navigation and windows

    /// Navigates and waits for the page to load (`pageLoad` timeout).
    func navigate(_ url: String) throws { try command("POST", "/url", ["url": url]) }
    func currentURL() throws -> String { try command("GET", "/url") as? String ?? "" }
    func title() throws -> String { try command("GET", "/title") as? String ?? "" }
    func windowHandles() throws -> [String] { try command("GET", "/window/handles") as? [String] ?? [] }
    func windowHandle() throws -> String { try command("GET", "/window") as? String ?? "" }
    func switchToWindow(_ handle: String) throws { try command("POST", "/window", ["handle": handle]) }

    // MARK: - Elements

    func findElement(css selector: String) throws -> WebElement {
        let value = try command("POST", "/element", ["using": "css selector", "value": selector]) as? [String: Any]
        guard let id = value?[WebElement.key] as? String else { throw WebDriverError(error: "no such element", message: selector) }
        return WebElement(id: id)
    }

    func findElements(css selector: String) throws -> [WebElement] {
        let values = try command("POST", "/elements", ["using": "css selector", "value": selector]) as? [[String: Any]] ?? []
        return values.compactMap { ($0[WebElement.key] as? String).map(WebElement.init) }
    }

    func text(_ element: WebElement) throws -> String { try command("GET", "/element/\(element.id)/text") as? String ?? "" }
    func attribute(_ name: String, of element: WebElement) throws -> String? { try command("GET", "/element/\(element.id)/attribute/\(name)") as? String }
    func isDisplayed(_ element: WebElement) throws -> Bool { try command("GET", "/element/\(element.id)/displayed") as? Bool ?? false }
    func click(_ element: WebElement) throws { try command("POST", "/element/\(element.id)/click") }

    /// `css` is present and displayed (false when absent).
    func isDisplayed(css selector: String) throws -> Bool {
        guard let element = try findElements(css: selector).first else { return false }
        return try isDisplayed(element)
    }

    // MARK: - Scripts, screenshots, logs

    /// Runs `script` as the body of a function (W3C "Execute Script"; not subject to the page's CSP).
    @discardableResult
    func execute(_ script: String, _ arguments: [Any] = []) throws -> Any? {
        try command("POST", "/execute/sync", ["script": script, "args": arguments])
    }

    /// Runs a Chrome DevTools Protocol command (chromedriver's `goog/cdp/execute`).
    @discardableResult
    func cdp(_ command: String, _ parameters: [String: Any] = [:]) throws -> Any? {
        try self.command("POST", "/goog/cdp/execute", ["cmd": command, "params": parameters])
    }

    /// A PNG of the viewport.
    func screenshot() throws -> Data {
        guard let base64 = try command("GET", "/screenshot") as? String, let data = Data(base64Encoded: base64) else {
            throw WebDriverError(error: "screenshot", message: "no PNG in the answer")
        }
        return data
    }

    /// The log entries of `type` ("browser", "performance") since the last call (chromedriver's
    /// `/se/log`, enabled by `goog:loggingPrefs`).
    func logs(_ type: String) throws -> [[String: Any]] {
        try command("POST", "/se/log", ["type": type]) as? [[String: Any]] ?? []
    }

    /// Polls `condition` every `interval` seconds until it holds or `timeout` seconds pass.
    func waitUntil(timeout: Double, interval: Double = 0.05, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            if try condition() { return true }
            if Date() >= deadline { return false }
            usleep(UInt32(interval * 1_000_000))
        }
    }
}
