import Dispatch

/// The configuration the landing handlers need, taken from `ServerConfig` once at start.
public struct LandingSettings: Sendable {
    /// External base URL, without a trailing slash; absolute URLs are built from it only.
    public var publicURL: String
    public var callbackPath: String
    /// Default return-to-app link (a session's own `returnUrl` wins).
    public var returnURL: String?
    public var openerOrigins: [String]
    public var androidPackage: String?
    public var sessionTTL: Double
    public var returnURLPolicy: ReturnURLPolicy?
    public var apiKeys: [String]
    /// Exact origins allowed to call `/v1/` from a browser.
    public var corsOrigins: [String] = []
    /// QA mode (`--qa`): the `/qa` pages and the `qa_device`/`qa_lang` callback overrides.
    public var qa = false
    /// The app's name (`--app-name`), in the page's title, header and return texts.
    public var appName: String?
    /// The page's accent (`--brand-color`), contrast-checked.
    public var brandColor: BrandColor?
    /// `logo.png` from the templates directory (checked at start), served at `LandingPage.logoPath`.
    public var logoPNG: [UInt8]?

    public init(
        publicURL: String, callbackPath: String = "/oauth/callback", returnURL: String? = nil, openerOrigins: [String] = [],
        androidPackage: String? = nil, sessionTTL: Double = 1800, returnURLPolicy: ReturnURLPolicy? = nil, apiKeys: [String] = []
    ) {
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        self.callbackPath = callbackPath
        self.returnURL = returnURL
        self.openerOrigins = openerOrigins
        self.androidPackage = androidPackage
        self.sessionTTL = sessionTTL
        self.returnURLPolicy = returnURLPolicy
        self.apiKeys = apiKeys
    }
}

/// Randomness, time and delayed work, injected so handlers stay pure and testable.
public struct LandingEnvironment: Sendable {
    /// Runs work once, about `seconds` from now, on some thread.
    public typealias Scheduler = @Sendable (_ seconds: Double, _ work: @escaping @Sendable () -> Void) -> Void

    /// Milliseconds since the Unix epoch.
    public var now: @Sendable () -> Int64
    /// Cryptographically random bytes.
    public var randomBytes: @Sendable (Int) -> [UInt8]
    /// Delayed work (`SessionExpiryWatch`'s look at a session once it has expired).
    public var schedule: Scheduler

    public init(
        now: @escaping @Sendable () -> Int64, randomBytes: @escaping @Sendable (Int) -> [UInt8],
        schedule: @escaping Scheduler = LandingEnvironment.dispatchAfter
    ) {
        self.now = now
        self.randomBytes = randomBytes
        self.schedule = schedule
    }

    /// The default scheduler: a timer on a global dispatch queue (its work is a store request, which
    /// never blocks the queue: the store worker runs it).
    public static let dispatchAfter: Scheduler = { seconds, work in
        DispatchQueue.global().asyncAfter(deadline: .now() + max(0, seconds), execute: work)
    }
}

/// Base64url without padding (RFC 4648 §5): session ids and nonces.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        // why: written straight into the string's storage (no byte array, no UTF-8 repair pass):
        // every response's nonce goes through here.
        String(unsafeUninitializedCapacity: (bytes.count * 4 + 2) / 3) { out in
            alphabet.withUnsafeBufferPointer { alphabet in
                var o = 0
                func put(_ n: UInt32, shift: UInt32) {
                    out[o] = alphabet[Int((n >> shift) & 63)]
                    o += 1
                }
                var i = 0
                while i + 2 < bytes.count {
                    let n = (UInt32(bytes[i]) << 16) | (UInt32(bytes[i + 1]) << 8) | UInt32(bytes[i + 2])
                    put(n, shift: 18)
                    put(n, shift: 12)
                    put(n, shift: 6)
                    put(n, shift: 0)
                    i += 3
                }
                let rest = bytes.count - i
                if rest == 1 {
                    let n = UInt32(bytes[i]) << 16
                    put(n, shift: 18)
                    put(n, shift: 12)
                } else if rest == 2 {
                    let n = (UInt32(bytes[i]) << 16) | (UInt32(bytes[i + 1]) << 8)
                    put(n, shift: 18)
                    put(n, shift: 12)
                    put(n, shift: 6)
                }
                return o
            }
        }
    }

    /// A session id: 128 random bits → 22 characters.
    public static func isSessionID(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { bytes in bytes.count == 22 && bytes.allSatisfy(isAlphabetByte) }
    }

    /// `A-Z a-z 0-9 - _`.
    static func isAlphabetByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}
