import Foundation
import Testing
@testable import LandingCore

/// llhttp's request test corpus (`Fixtures/llhttp/`, see its README): one case of it.
struct LLHTTPCase: Decodable, Sendable, CustomTestStringConvertible {
    struct Expect: Decodable, Sendable {
        /// "accept" or "reject".
        var verdict: String
        /// Requests llhttp parsed completely.
        var completed: Int
    }

    var id: String
    var title: String
    /// "strict", "finish" (llhttp_finish is called at the end of input), "lenient" (needs a
    /// lenient flag), "url-derived" or "api-only".
    var category: String
    /// The input bytes, base64.
    var inputBase64: String
    var expect: Expect

    enum CodingKeys: String, CodingKey {
        case id, title, category, expect
        case inputBase64 = "input_b64"
    }

    var testDescription: String { id }

    var input: [UInt8] { Array(Data(base64Encoded: inputBase64) ?? Data()) }
}

/// The corpus file.
struct LLHTTPCorpus: Decodable, Sendable {
    struct Source: Decodable, Sendable {
        var commit: String
    }

    var source: Source
    var cases: [LLHTTPCase]
}

/// `Fixtures/llhttp/stricter.json`: every case where our verdict differs from llhttp's, with why.
struct LLHTTPDifferences: Decodable, Sendable {
    /// One listed difference.
    struct Entry: Decodable, Sendable {
        /// Our verdict, "accept" or "reject".
        var verdict: String
        /// Requests we parse completely.
        var completed: Int
        /// A short, stable name for the kind of difference ("missing-host", "lenient-flag"...).
        var `class`: String
        /// Why, with the RFC rule that decides it.
        var reason: String
    }

    /// Every class used, with its reason in one sentence.
    var classes: [String: String]
    var cases: [String: Entry]
}

/// What our parser makes of one input, the way the server reads a connection.
struct OurVerdict: Equatable, CustomStringConvertible {
    var accept: Bool
    var completed: Int
    var error: HTTPParseError?

    var verdict: String { accept ? "accept" : "reject" }
    var description: String { "\(verdict) \(completed)" + (error.map { " (\($0))" } ?? "") }
}

/// Loads a file of `Fixtures/llhttp/`, found next to this source file (not a SwiftPM resource).
private func llhttpFixture(_ name: String) throws -> Data {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/llhttp/\(name)")
    return try Data(contentsOf: url)
}

/// The corpus, loaded once.
private let corpus: LLHTTPCorpus = {
    do {
        return try JSONDecoder().decode(LLHTTPCorpus.self, from: llhttpFixture("llhttp-request-corpus.json"))
    } catch {
        fatalError("Fixtures/llhttp/llhttp-request-corpus.json: \(error)")
    }
}()

/// The listed differences, loaded once.
private let differences: LLHTTPDifferences = {
    do {
        return try JSONDecoder().decode(LLHTTPDifferences.self, from: llhttpFixture("stricter.json"))
    } catch {
        fatalError("Fixtures/llhttp/stricter.json: \(error)")
    }
}()

/// Feeds `chunks` to a parser with the default limits (the server's), the way a connection does:
/// requests are counted until the parser needs more input or fails, and reading stops after a
/// request that does not keep the connection alive (the server closes after answering it, so later
/// bytes are never parsed, as llhttp's "Data after `Connection: close`" stop). At the end of input,
/// `finish` (llhttp_finish) rejects when a request is partly read; otherwise a partial request is
/// simply waiting for more bytes, as llhttp's "incomplete" is, and the input is accepted.
func ourVerdict(_ chunks: [ArraySlice<UInt8>], finish: Bool) -> OurVerdict {
    var parser = HTTPRequestParser(limits: .default)
    var completed = 0
    for chunk in chunks {
        parser.feed(Array(chunk))
        draining: while true {
            switch parser.next() {
            case .needMore:
                break draining
            case .request(let request):
                completed += 1
                if !request.wantsKeepAlive { return OurVerdict(accept: true, completed: completed) }
            case .error(let error):
                return OurVerdict(accept: false, completed: completed, error: error)
            }
        }
    }
    if finish && parser.phase != .idle { return OurVerdict(accept: false, completed: completed) }
    return OurVerdict(accept: true, completed: completed)
}

/// `input` with `Host: llhttp.test` added after every line that looks like an HTTP/1.1 request line
/// (`token SP target SP HTTP/1.1`), so that cases written without Host (which llhttp does not
/// require) test the rest of their bytes.
func insertingHost(_ input: [UInt8]) -> [UInt8] {
    var output: [UInt8] = []
    var lineStart = 0
    var p = 0
    while p + 1 < input.count {
        guard input[p] == 0x0D, input[p + 1] == 0x0A else {
            p += 1
            continue
        }
        output += input[lineStart..<(p + 2)]
        let words = input[lineStart..<p].split(separator: 0x20, omittingEmptySubsequences: false)
        if words.count == 3, !words[0].isEmpty, words[0].allSatisfy(HTTPGrammar.isTchar), Array(words[2]) == Array("HTTP/1.1".utf8) {
            output += Array("Host: llhttp.test\r\n".utf8)
        }
        p += 2
        lineStart = p
    }
    output += input[lineStart...]
    return output
}

@Suite struct LLHTTPCorpusTests {
    /// The fixture is the whole corpus from the commit its README names, and its classes are defined.
    @Test func corpus_IsComplete() {
        #expect(corpus.cases.count == 187)
        #expect(corpus.source.commit == "01e105a30fd06e248bc8ac73c4adb34a63d4114a")
        #expect(Set(corpus.cases.map(\.id)).count == corpus.cases.count)
        for (id, entry) in differences.cases {
            #expect(corpus.cases.contains { $0.id == id }, "stricter.json lists \(id), which is not in the corpus")
            #expect(differences.classes[entry.class] != nil, "\(id): class \(entry.class) is not described")
        }
    }

    /// Each case gets llhttp's verdict (accept/reject and requests completed), or the difference is
    /// listed in stricter.json with our exact verdict; a listed case that no longer differs fails.
    @Test(arguments: corpus.cases)
    func corpus_MatchesLLHTTP_OrIsListedAsStricter(_ llhttpCase: LLHTTPCase) {
        let input = llhttpCase.input
        let finish = llhttpCase.category == "finish"
        let ours = ourVerdict([input[...]], finish: finish)
        // The verdict does not depend on how the bytes arrive.
        #expect(ourVerdict(input.indices.map { input[$0...$0] }, finish: finish) == ours, "byte by byte")

        let theirs = llhttpCase.expect
        let same = ours.verdict == theirs.verdict && ours.completed == theirs.completed
        if let listed = differences.cases[llhttpCase.id] {
            #expect(!same, "\(llhttpCase.id) agrees with llhttp now (\(ours)): remove it from stricter.json")
            #expect(
                listed.verdict == ours.verdict && listed.completed == ours.completed,
                "\(llhttpCase.id): stricter.json says \(listed.verdict) \(listed.completed), we give \(ours)")
            switch listed.class {
            case "missing-host":
                // Host is the only difference: with it, the rest of the bytes agree with llhttp.
                let withHost = ourVerdict([insertingHost(input)[...]], finish: finish)
                #expect(
                    withHost.verdict == theirs.verdict && withHost.completed == theirs.completed,
                    "\(llhttpCase.id) with Host: llhttp \(theirs.verdict) \(theirs.completed), we \(withHost)")
            case "judged-at-line-end":
                // We were only waiting for the line end: with it, the input is rejected.
                let ended = input + Array("\r\n\r\n".utf8)
                #expect(!ourVerdict([ended[...]], finish: finish).accept, "\(llhttpCase.id) with CRLF is accepted")
            default:
                break
            }
        } else {
            #expect(
                same,
                "\(llhttpCase.id) [\(llhttpCase.category)] \(llhttpCase.title): llhttp \(theirs.verdict) \(theirs.completed), we \(ours)")
        }
    }
}
