import CLinux
import Foundation
import Glibc
import LandingCore
import LandingIO

/// The executable: parse the command line, then perform the command. Exit codes: 0 success,
/// 1 runtime failure, 2 bad configuration or usage.
let version = "0.1.0"

func fail(_ message: String, code: Int32 = 2) -> Never {
    // why: log lines go through writer threads; let them out before the process ends.
    LogWriter.standardError.flush()
    LogWriter.standardOutput.flush()
    FileHandle.standardError.write(Data("oauth-landing: \(message)\n".utf8))
    exit(code)
}

let command: Command
do {
    command = try ConfigLoader.parse(
        arguments: Array(CommandLine.arguments.dropFirst()),
        environment: ProcessInfo.processInfo.environment,
        readFile: { path in Array(try Data(contentsOf: URL(fileURLWithPath: path))) })
} catch {
    // One line saying what is wrong, then where the options are (not the whole help).
    fail("\(error)\nRun 'oauth-landing help serve' for all options.")
}

switch command {
case .version:
    print("oauth-landing \(version)")
case .help(let topic):
    print(UsageText.text(for: topic), terminator: "")
case .devCert(let directory):
    do {
        try DevCertificate.write(to: directory)
        print("wrote \(directory)/server.pem and \(directory)/server-key.pem (self-signed, localhost, 127.0.0.1, ::1)")
    } catch {
        fail("\(error)", code: 1)
    }
case .qaLinks(let base):
    for line in QAScenarios.links(base: base, newItemId: { QAScenarios.itemId(random: SystemRandom.bytes(9)) }) {
        print(line)
    }
case .checkConfig(var config):
    do {
        config.templatesDirectory = try TemplateDirectory.resolve(explicit: config.templatesDirectory)
    } catch {
        print(config.effectiveDescription, terminator: "")
        fail("\(error)")
    }
    if config.publicURL == nil && !config.dev {
        print(config.effectiveDescription, terminator: "")
        fail(ServeCommand.publicURLMissing)
    }
    do {
        let context = try TLSContext(certificateChainPath: config.tlsCertificatePath, privateKeyPath: config.tlsKeyPath)
        print(config.effectiveDescription, terminator: "")
        print("# certificate sha256 \(context.leafFingerprint)")
        // Mobile users can only get back to the app through a return link.
        if config.returnURL == nil && config.allowedReturnURLs.isEmpty {
            FileHandle.standardError.write(Data(
                ("oauth-landing: warning: no --return-url and no --allowed-return-url (so no session can carry a returnUrl):"
                    + " mobile users get no return button, only a hint to switch back to the app\n").utf8))
        }
        // A universal link / App Link on the landing page's own host opens in the browser, not the app.
        let landingHost = config.publicURL.flatMap { URLComponents(string: $0)?.host?.lowercased() }
        for candidate in [config.returnURL].compactMap({ $0 }) + config.allowedReturnURLs {
            guard let host = URLComponents(string: candidate)?.host?.lowercased(), host == landingHost else { continue }
            FileHandle.standardError.write(Data(
                ("oauth-landing: warning: return link \(candidate) is on the landing page's own host (\(host)):"
                    + " iOS and Android open it in the browser, not the app; use another host for universal links / App Links\n").utf8))
        }
    } catch {
        print(config.effectiveDescription, terminator: "")
        fail("\(error)")
    }
case .serve(let config):
    ServeCommand(config: config, version: version).run()
}
