import Foundation

/// `--brand-color #RRGGBB`: the accent of the landing page (its button and success icon), with the
/// text colour drawn on it chosen for contrast. WCAG 2.2 §1.4.3 asks 4.5:1 for normal text: white is
/// used when it reaches that, else near-black (`#0d1117`); a colour on which neither does is refused
/// at start, so no configuration can ship an unreadable button. Pure.
public struct BrandColor: Sendable, Equatable {
    /// The colour as `#rrggbb` (lower case).
    public let hex: String
    /// The text colour on it: `#ffffff` or `#0d1117`.
    public let textHex: String
    /// The contrast ratio between the two (≥ 4.5).
    public let contrast: Double
    /// The colour also stands out (3:1, WCAG 2.2 §1.4.11) on the dark-mode card (`#161b22`), so dark
    /// mode uses it too; otherwise dark mode keeps the default accent.
    public let usableInDarkMode: Bool

    /// The least contrast accepted (WCAG 2.2 §1.4.3, normal text).
    public static let minimumContrast = 4.5
    static let lightText = "#ffffff"
    static let darkText = "#0d1117"
    /// The page's card backgrounds, light and dark.
    static let lightCard = "#ffffff"
    static let darkCard = "#161b22"
    /// The least contrast of a button or icon against the card (WCAG 2.2 §1.4.11).
    public static let minimumComponentContrast = 3.0

    /// Parses `#RRGGBB` (either case) and picks its text colour; throws a message for the operator.
    public init(parsing text: String) throws(BrandColorError) {
        let bytes = Array(text.utf8)
        guard bytes.count == 7, bytes[0] == UInt8(ascii: "#"), bytes.dropFirst().allSatisfy({ Self.hexValue($0) != nil }) else {
            throw BrandColorError("expected a colour as #RRGGBB (e.g. #0a66c2)")
        }
        let hex = text.lowercased()
        let white = Self.contrast(hex, Self.lightText)
        let dark = Self.contrast(hex, Self.darkText)
        let best = white >= dark ? (Self.lightText, white) : (Self.darkText, dark)
        guard best.1 >= Self.minimumContrast else {
            let shown = (best.1 * 100).rounded(.down) / 100
            throw BrandColorError(
                "\(hex) gives the button text a contrast of at most \(shown):1 (white or near-black);"
                    + " WCAG 2.2 AA needs 4.5:1: choose a darker or lighter shade")
        }
        let onCard = Self.contrast(hex, Self.lightCard)
        guard onCard >= Self.minimumComponentContrast else {
            throw BrandColorError(
                "\(hex) stands out from the white page card by only \((onCard * 100).rounded(.down) / 100):1;"
                    + " WCAG 2.2 AA needs 3:1 for the button: choose a darker shade")
        }
        self.hex = hex
        self.textHex = best.0
        self.contrast = best.1
        self.usableInDarkMode = Self.contrast(hex, Self.darkCard) >= Self.minimumComponentContrast
    }

    /// The contrast ratio of two `#rrggbb` colours (WCAG 2.2: (L1 + 0.05) / (L2 + 0.05)).
    public static func contrast(_ a: String, _ b: String) -> Double {
        let la = luminance(a)
        let lb = luminance(b)
        return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
    }

    /// Relative luminance of `#rrggbb` (WCAG 2.2, sRGB).
    static func luminance(_ hex: String) -> Double {
        let bytes = Array(hex.utf8)
        func channel(_ at: Int) -> Double {
            let value = Double(hexValue(bytes[at])! * 16 + hexValue(bytes[at + 1])!) / 255
            return value <= 0.04045 ? value / 12.92 : Foundation.pow((value + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}

/// Why a `--brand-color` was refused.
public struct BrandColorError: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
