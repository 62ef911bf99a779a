// Swift side of the differential fuzzer (scripts/difffuzz.sh): runs HTTPRequestParser over
// inputs read from stdin and prints one JSON verdict line per input.
//
// Built by scripts/difffuzz.sh with `swiftc -O` together with every LandingCore source into
// .build-difffuzz/parser-probe (one module, like scripts/fuzz.sh), so it needs no Package.swift
// target. By hand:
//
//   node scripts/difffuzz/driver.js --emit 5 --seed 1 | .build-difffuzz/parser-probe
//
// Input: a stream of frames, each a 4-byte big-endian length then that many bytes (one
// connection's worth of request bytes). Output, one line per frame:
//
//   {"r":[{"m":"GET","t":"/","v":"1.1","bl":0,"bh":"811c9dc5","ka":true,"end":37}, ...],
//    "s":"needMore"|"error","e":"<HTTPParseError case>","p":<bytes still buffered>}
//
// r: the complete requests in order (method, target, version, body length, FNV-1a 32 of the body,
// wantsKeepAlive, offset just past the request's last byte); s: how it ended; e: the error (only
// when s is "error"); p: bufferedByteCount when it ended needing more. The parser runs with the
// default limits, as the server does. Each input is also fed one byte at a time; if that gives
// another verdict, it is added as "split" (the parser must not depend on how input is split).

import Glibc

/// Reads all of stdin.
private func readStdin() -> [UInt8] {
    var all: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        all.append(contentsOf: chunk[0..<n])
    }
    return all
}

/// Writes all of `s` to `fd`.
// why: the C `stdout`/`stderr` globals are shared mutable state that Swift 6 refuses; write(2)
// on the descriptor needs none.
private func writeAll(_ fd: Int32, _ s: String) {
    var s = s
    s.withUTF8 { buffer in
        var off = 0
        while off < buffer.count {
            let n = write(fd, buffer.baseAddress! + off, buffer.count - off)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { exit(3) }
            off += n
        }
    }
}

/// FNV-1a, 32 bits: enough to tell two bodies apart; the driver computes the same.
private func fnv1a(_ bytes: [UInt8]) -> String {
    var h: UInt32 = 0x811C_9DC5
    for b in bytes {
        h ^= UInt32(b)
        h = h &* 0x0100_0193
    }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 8 - hex.count) + hex
}

/// A JSON string literal.
private func json(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where u.value < 0x20 || u.value == 0x7F:
            let hex = String(u.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}

/// The verdict for one connection's bytes, fed in pieces of `piece` bytes (draining after each).
private func verdict(_ input: ArraySlice<UInt8>, piece: Int) -> String {
    var parser = HTTPRequestParser()
    let bytes = Array(input)
    var fed = 0
    var requests: [String] = []
    var tail: String
    while true {
        let result = parser.next()
        if case .needMore = result, fed < bytes.count {
            let n = min(piece, bytes.count - fed)
            bytes[fed..<(fed + n)].withUnsafeBytes { parser.feed($0) }
            fed += n
            continue
        }
        switch result {
        case .request(let request):
            let end = fed - parser.bufferedByteCount
            let body = Array(request.body)
            requests.append(
                "{\"m\":\(json(request.method.description)),\"t\":\(json(request.target)),"
                    + "\"v\":\"\(request.version.major).\(request.version.minor)\",\"bl\":\(body.count),"
                    + "\"bh\":\"\(fnv1a(body))\",\"ka\":\(request.wantsKeepAlive),\"end\":\(end)}")
            continue
        case .needMore:
            tail = "\"s\":\"needMore\",\"p\":\(parser.bufferedByteCount)"
        case .error(let error):
            // why: String(describing:) rather than a switch, so new HTTPParseError cases (chunked
            // support is being added) need no change here.
            tail = "\"s\":\"error\",\"e\":\(json(String(describing: error)))"
        }
        break
    }
    return "{\"r\":[\(requests.joined(separator: ","))],\(tail)}"
}

@main
struct ParserProbe {
    static func main() {
        let data = readStdin()
        var p = 0
        var out = ""
        while p + 4 <= data.count {
            let n = Int(data[p]) << 24 | Int(data[p + 1]) << 16 | Int(data[p + 2]) << 8 | Int(data[p + 3])
            p += 4
            guard p + n <= data.count else {
                writeAll(2, "parser-probe: truncated frame\n")
                exit(2)
            }
            let input = data[p..<(p + n)]
            let whole = verdict(input, piece: Int.max)
            // The parser promises the same results however the input is split: check byte by
            // byte too, and report a difference in the verdict (the driver fails on it).
            let split = verdict(input, piece: 1)
            out += whole == split ? whole : String(whole.dropLast()) + ",\"split\":\(split)}"
            out += "\n"
            p += n
            if out.utf8.count > 1 << 16 {
                writeAll(1, out)
                out = ""
            }
        }
        writeAll(1, out)
    }
}
