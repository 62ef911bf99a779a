import Testing

@testable import LandingCore

@Suite struct CommandLineParsingTests {
    /// `serve` is the default: no arguments, or a flag first.
    @Test func commandLine_DefaultsToServe_WhenNoSubcommandGiven() throws {
        #expect(try parseCommand([]) == .serve(ServerConfig()))
        var expected = ServerConfig()
        expected.dev = true
        expected.listen.host = "127.0.0.1"
        #expect(try parseCommand(["--dev"]) == .serve(expected))
        #expect(try parseCommand(["serve", "--dev"]) == .serve(expected))
    }

    /// `--dev` serves unauthenticated QA pages, so it listens on loopback unless a source gives --listen.
    @Test func commandLine_DevListensOnLoopback_UnlessListenGiven() throws {
        #expect(try serveConfig(["--dev"]).listen == ServerConfig.ListenAddress(host: "127.0.0.1", port: 8443))
        #expect(try serveConfig(["--dev", "--listen", "0.0.0.0:9443"]).listen == ServerConfig.ListenAddress(host: "0.0.0.0", port: 9443))
        #expect(try serveConfig(["--dev"], environment: ["OAUTH_LANDING_LISTEN": "0.0.0.0:8443"]).listen.host == "0.0.0.0")
        let fromFile = try parseCommand(["--config=c.json"], files: ["c.json": #"{"dev": true, "listen": "0.0.0.0:8443"}"#])
        guard case .serve(let config) = fromFile else { Issue.record("not serve"); return }
        #expect(config.listen.host == "0.0.0.0")
        #expect(try serveConfig([]).listen.host == "0.0.0.0")
    }

    /// `check-config` takes the same flags as serve and returns the same configuration.
    @Test func commandLine_ParsesCheckConfig_WithServeFlags() throws {
        var expected = ServerConfig()
        expected.threads = 4
        expected.logLevel = .debug
        #expect(try parseCommand(["check-config", "--threads", "4", "--log-level=debug"]) == .checkConfig(expected))
    }

    /// `dev-cert` defaults to `certs`; `--out DIR` and `--out=DIR` choose another directory.
    @Test func commandLine_ParsesDevCert_WithAndWithoutOut() throws {
        #expect(try parseCommand(["dev-cert"]) == .devCert(outDirectory: "certs"))
        #expect(try parseCommand(["dev-cert", "--out", "/tmp/x"]) == .devCert(outDirectory: "/tmp/x"))
        #expect(try parseCommand(["dev-cert", "--out=a", "--out=b"]) == .devCert(outDirectory: "b"))
    }

    /// dev-cert does not take serve's options, and needs a non-empty directory.
    @Test func commandLine_RejectsDevCertArguments_WhenNotOut() {
        #expect(parseErrorMessage(["dev-cert", "--listen", "x:1"]) == "unknown option '--listen' for dev-cert")
        #expect(parseErrorMessage(["dev-cert", "--out"]) == "option --out needs a value: --out DIR or --out=DIR")
        #expect(parseErrorMessage(["dev-cert", "--out="]) == "invalid value '' for --out: empty; expected a file path")
        #expect(parseErrorMessage(["dev-cert", "dir"]) == "unexpected argument 'dir': dev-cert takes options only")
    }

    /// `--version` anywhere is the version command.
    @Test func commandLine_ReturnsVersion_WhenVersionFlagGiven() throws {
        #expect(try parseCommand(["--version"]) == .version)
        #expect(try parseCommand(["serve", "--version"]) == .version)
        #expect(parseErrorMessage(["--version=2"]) == "option --version takes no value")
    }

    /// Global help: `help`, `--help`, `-h`; a subcommand's: `help NAME`, `NAME --help`, `NAME -h`, `NAME help`.
    @Test func commandLine_ReturnsHelp_WhenAskedGloballyOrPerSubcommand() throws {
        #expect(try parseCommand(["help"]) == .help(topic: nil))
        #expect(try parseCommand(["--help"]) == .help(topic: nil))
        #expect(try parseCommand(["-h"]) == .help(topic: nil))
        #expect(try parseCommand(["help", "serve"]) == .help(topic: "serve"))
        #expect(try parseCommand(["help", "dev-cert"]) == .help(topic: "dev-cert"))
        #expect(try parseCommand(["serve", "--help"]) == .help(topic: "serve"))
        #expect(try parseCommand(["check-config", "-h"]) == .help(topic: "check-config"))
        #expect(try parseCommand(["dev-cert", "help"]) == .help(topic: "dev-cert"))
    }

    /// Help wins over mistakes elsewhere on the line, so it is always reachable.
    @Test func commandLine_ReturnsHelp_WhenLineAlsoHasErrors() throws {
        #expect(try parseCommand(["serve", "--bogus", "--help"]) == .help(topic: "serve"))
        #expect(try parseCommand(["--listen", "nonsense", "--help"]) == .help(topic: nil))
    }

    /// `help` with an unknown topic or extra arguments is an error.
    @Test func commandLine_RejectsHelpTopic_WhenUnknown() {
        #expect(
            parseErrorMessage(["help", "deploy"]) == "no help for 'deploy' (expected serve, check-config, dev-cert or qa-links)")
        #expect(parseErrorMessage(["help", "serve", "x"]) == "unexpected argument 'x': help takes options only")
    }

    /// An unknown subcommand is an error, with a suggestion for a near miss.
    @Test func commandLine_RejectsSubcommand_WhenUnknown() {
        #expect(
            parseErrorMessage(["start"])
                == "unknown subcommand 'start' (expected serve, check-config, dev-cert, qa-links or help)")
        #expect(parseErrorMessage(["serv"]).hasSuffix("; did you mean serve?"))
        #expect(parseErrorMessage(["check_config"]).hasSuffix("; did you mean check-config?"))
        #expect(parseError(["start"]) == .unknownSubcommand("start"))
    }

    /// An unknown flag is an error naming it and the subcommand, with a suggestion for a near miss.
    @Test func commandLine_RejectsFlag_WhenUnknown() {
        #expect(parseErrorMessage(["--port", "1"]) == "unknown option '--port' for serve")
        #expect(
            parseErrorMessage(["serve", "--lisen", "x:1"])
                == "unknown option '--lisen' for serve; did you mean --listen?")
        #expect(parseErrorMessage(["check-config", "-v"]) == "unknown option '-v' for check-config")
        #expect(parseErrorMessage(["--tls_cert", "x"]).hasSuffix("did you mean --tls-cert?"))
    }

    /// A flag that needs a value is an error when last or followed by another flag.
    @Test func commandLine_RejectsFlag_WhenValueMissing() {
        #expect(
            parseErrorMessage(["--listen"]) == "option --listen needs a value: --listen HOST:PORT or --listen=HOST:PORT"
        )
        #expect(
            parseErrorMessage(["--tls-cert", "--dev"])
                == "option --tls-cert needs a value: --tls-cert FILE or --tls-cert=FILE")
        #expect(parseError(["--threads"]) == .missingValue(flag: "--threads", valueName: "N"))
    }

    /// `--flag=value` and `--flag value` mean the same; `=` lets a value start with `--`, one dash needs no `=`.
    @Test func commandLine_AcceptsEqualsForm_ForEveryValueFlag() throws {
        #expect(try serveConfig(["--listen=127.0.0.1:1"]) == serveConfig(["--listen", "127.0.0.1:1"]))
        #expect(try serveConfig(["--tls-cert=--odd.pem"]).tlsCertificatePath == "--odd.pem")
        #expect(try serveConfig(["--tls-key=a=b.pem"]).tlsKeyPath == "a=b.pem")
        #expect(try serveConfig(["--tls-cert", "-odd.pem"]).tlsCertificatePath == "-odd.pem")
        #expect(parseErrorMessage(["--listen", "-h"]).hasPrefix("invalid value '-h' for --listen: "))
    }

    /// Boolean flags: alone means true; `=true/false/1/0` set it; a following word is not consumed.
    @Test func commandLine_ParsesBooleanFlag_AloneOrWithEquals() throws {
        #expect(try serveConfig(["--dev"]).dev)
        #expect(try serveConfig(["--dev=true"]).dev)
        #expect(try serveConfig(["--dev=1"]).dev)
        #expect(try !serveConfig(["--dev", "--dev=false"]).dev)
        #expect(parseErrorMessage(["--dev", "false"]) == "unexpected argument 'false': serve takes options only")
        #expect(parseErrorMessage(["--dev=maybe"]) == "invalid value 'maybe' for --dev: expected 1, true, 0 or false")
    }

    /// A flag given twice: the last wins.
    @Test func commandLine_UsesLastValue_WhenFlagRepeated() throws {
        #expect(try serveConfig(["--threads", "1", "--threads", "2"]).threads == 2)
        #expect(try serveConfig(["--log-level", "error", "--log-level=debug"]).logLevel == .debug)
    }

    /// The last `--config` is the file read.
    @Test func commandLine_ReadsLastConfigFile_WhenConfigRepeated() throws {
        let config = try serveConfig(
            ["--config", "missing.json", "--config", "b.json"], files: ["b.json": #"{"threads": 9}"#])
        #expect(config.threads == 9)
    }

    /// `--` ends the flags; nothing may follow it since no subcommand takes positional arguments.
    @Test func commandLine_HandlesDoubleDash_AsEndOfFlags() throws {
        #expect(try parseCommand(["serve", "--dev", "--"]) == parseCommand(["--dev"]))
        #expect(parseErrorMessage(["serve", "--", "--dev"]) == "unexpected argument '--dev': serve takes options only")
        #expect(parseErrorMessage(["--", "help"]) == "unexpected argument 'help': serve takes options only")
    }

    /// A positional argument is an error.
    @Test func commandLine_RejectsPositionalArgument() {
        #expect(parseErrorMessage(["serve", "extra"]) == "unexpected argument 'extra': serve takes options only")
        #expect(parseErrorMessage(["--dev", "-"]) == "unexpected argument '-': serve takes options only")
        #expect(parseError(["serve", "x"]) == .unexpectedArgument("x", subcommand: "serve"))
    }

    /// Of several mistakes, the first one on the line is reported.
    @Test func commandLine_ReportsFirstError_WhenSeveral() {
        #expect(parseErrorMessage(["--bogus", "--listen"]) == "unknown option '--bogus' for serve")
    }
}
