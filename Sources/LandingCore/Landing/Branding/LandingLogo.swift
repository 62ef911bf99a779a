/// The optional `logo.png` of the templates directory: checked at start, served by the server
/// itself so the page's CSP can stay `img-src 'self'`. Only PNG (no SVG: a script in an SVG
/// opened as a document would run on this origin). Pure.
public enum LandingLogo {
    /// The largest logo accepted.
    public static let maxBytes = 262_144
    /// The PNG signature (PNG specification §5.2).
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Why `bytes` cannot be the logo, or nil when they can.
    public static func problem(with bytes: [UInt8]) -> String? {
        if bytes.count > maxBytes { return "the logo is \(bytes.count) bytes; at most \(maxBytes) (256 KiB)" }
        if !bytes.starts(with: signature) { return "the logo is not a PNG image (its first bytes are not the PNG signature)" }
        return nil
    }
}
