// swift-tools-version:6.0
import PackageDescription

/// oauth-landing: an HTTPS landing server for OAuth redirects, with no third-party Swift packages.
/// Targets, from the inside out:
/// - `LandingCore`: the pure core (HTTP parser, responses, router, config, CLI). No sockets, no OpenSSL, no Dispatch.
/// - `COpenSSL`, `CLinux`, `CSQLite`, `CLibPQ`: system-library modules for OpenSSL 3, the Linux calls Glibc
///   does not expose, SQLite 3 and libpq (PostgreSQL's client library).
/// - `LandingIO`: the thin imperative shell (epoll event loops, sockets, the OpenSSL TLS engine, the server).
/// - `oauth-landing`: the executable.
let package = Package(
    name: "oauth-landing",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "oauth-landing", targets: ["oauth-landing"])
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(name: "CLinux"),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(name: "LandingCore"),
        .target(
            name: "LandingIO",
            dependencies: ["LandingCore", "COpenSSL", "CLinux", "CSQLite", "CLibPQ"]
        ),
        .executableTarget(
            name: "oauth-landing",
            dependencies: ["LandingCore", "LandingIO"]
        ),
        .executableTarget(
            name: "landing-store-writer",
            dependencies: ["LandingCore", "LandingIO"]
        ),
        .testTarget(name: "LandingCoreTests", dependencies: ["LandingCore"], exclude: ["Fixtures"]),
        .testTarget(
            name: "LandingIOTests",
            dependencies: ["LandingCore", "LandingIO", "COpenSSL", "CLinux", "CLibPQ", "landing-store-writer"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
