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
case .checkConfig(let config, let format):
    // Every check serve runs, none of its side effects; exit 0 only if serve would start.
    let preflight = Preflight(config: config, mode: .check, environment: ProcessInfo.processInfo.environment)
    switch format {
    case .json:
        print(preflight.report.json(), terminator: "")
    case .text:
        print(preflight.report.settingsText(), terminator: "")
        FileHandle.standardError.write(Data(preflight.report.findingsText().utf8))
    }
    exit(preflight.report.exitCode)
case .serve(let config):
    ServeCommand(config: config, version: version).run()
}
