// libFuzzer entry point for HTTPRequestParser. Built by scripts/fuzz.sh together with every
// LandingCore source file into one module, so it sees the parser's internals.
//
// For each input it checks, and traps (fatalError) when one fails:
// - the results are the same fed whole, split at data[0] % size, split in three, and byte by byte;
// - an error is sticky and the parser then holds no bytes;
// - every request respects the limits and the grammar (target is visible ASCII, body size; a
//   chunked body is decoded: no Transfer-Encoding is left, and Content-Length says its size);
// - a request re-serialized as `method SP target SP version CRLF name:value CRLF ... CRLF body`
//   parses back to the same request;
// - an HTTP/1.1 request re-serialized with its body in chunks (with extensions and a trailer)
//   parses back to the same method, target and body.

/// Small limits so the fuzzer reaches every limit check with short inputs.
private let fuzzLimits = HTTPParserLimits(
    maxRequestLineBytes: 256, maxHeaderBytes: 512, maxHeaderCount: 8, maxBodyBytes: 1024,
    maxChunkExtensionBytes: 32, maxTrailerBytes: 64)

/// Every request and the final error (if any), plus the phase after the last byte.
private struct Outcome: Equatable {
    var results: [HTTPParseResult] = []
    var phase: HTTPRequestParser.Phase = .idle
    var buffered = 0
}

/// Feeds `bytes` cut at `cuts` (increasing offsets), draining after each feed.
private func run(_ bytes: UnsafeRawBufferPointer, cuts: [Int], limits: HTTPParserLimits) -> Outcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = Outcome()
    var from = 0
    feeding: for cut in cuts + [bytes.count] where cut >= from {
        parser.feed(UnsafeRawBufferPointer(rebasing: bytes[from..<cut]))
        from = cut
        while true {
            let result = parser.next()
            switch result {
            case .needMore:
                continue feeding
            case .request(let request):
                check(request, limits: limits)
                outcome.results.append(result)
            case .error(let error):
                outcome.results.append(result)
                guard parser.next() == .error(error), parser.bufferedByteCount == 0, parser.phase == .idle else {
                    fatalError("error not sticky: \(error)")
                }
                break feeding
            }
        }
    }
    outcome.phase = parser.phase
    outcome.buffered = parser.bufferedByteCount
    return outcome
}

/// Invariants of one parsed request.
private func check(_ request: HTTPRequest, limits: HTTPParserLimits) {
    guard request.body.count <= limits.maxBodyBytes else { fatalError("body over limit") }
    guard request.headers.count <= limits.maxHeaderCount else { fatalError("too many fields") }
    guard request.target.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E && $0 != 0x23 }) else {
        fatalError("bad target byte in \(request.target)")
    }
    guard request.version == .http1_0 || request.version == .http1_1 else { fatalError("version") }
    if request.version == .http1_1 && request.headers.values("Host").count != 1 { fatalError("Host") }
    if request.headers.contains("Transfer-Encoding") { fatalError("Transfer-Encoding left in a request") }
    // A single Content-Length value (as sent, or set by chunked decoding) is the body size.
    if let length = request.headers["Content-Length"].flatMap({ Int($0) }), length != request.body.count {
        fatalError("Content-Length \(length) but body of \(request.body.count)")
    }

    // Round trip: the canonical serialization parses back to the same request. Latin-1 values
    // grow when re-encoded as UTF-8, hence the larger header limit.
    var bytes = Array("\(request.method) \(request.target) \(request.version)\r\n".utf8)
    for field in request.headers {
        bytes += Array("\(field.name):\(field.value)\r\n".utf8)
    }
    bytes += [0x0D, 0x0A]
    bytes += request.body
    var roundTripLimits = limits
    roundTripLimits.maxHeaderBytes *= 2
    var parser = HTTPRequestParser(limits: roundTripLimits)
    parser.feed(bytes)
    let again = parser.next()
    guard again == .request(request), parser.next() == .needMore, parser.phase == .idle else {
        fatalError("round trip: \(request) gave \(again)")
    }
    if request.version == .http1_1 { checkChunkedRoundTrip(request, limits: roundTripLimits) }
}

/// The body sent in chunks of 1, 2, 3... octets, with an extension on each size line and a trailer,
/// decodes to the same body.
private func checkChunkedRoundTrip(_ request: HTTPRequest, limits: HTTPParserLimits) {
    var bytes = Array("\(request.method) \(request.target) \(request.version)\r\n".utf8)
    for field in request.headers where !HTTPHeaders.equalsIgnoringASCIICase(field.name, "Content-Length") {
        bytes += Array("\(field.name):\(field.value)\r\n".utf8)
    }
    bytes += Array("Transfer-Encoding: chunked\r\n\r\n".utf8)
    var offset = 0
    var size = 1
    while offset < request.body.count {
        let end = min(request.body.count, offset + size)
        bytes += Array("\(String(end - offset, radix: 16));n=\"v\"\r\n".utf8)
        bytes += request.body[offset..<end]
        bytes += [0x0D, 0x0A]
        offset = end
        size += 1
    }
    bytes += Array("0\r\nX-Trailer: t\r\n\r\n".utf8)
    var chunkedLimits = limits
    chunkedLimits.maxHeaderCount += 1
    chunkedLimits.maxHeaderBytes += 64
    chunkedLimits.maxChunkExtensionBytes = Int.max
    var parser = HTTPRequestParser(limits: chunkedLimits)
    parser.feed(bytes)
    guard case .request(let decoded) = parser.next(), decoded.method == request.method,
        decoded.target == request.target, decoded.body == request.body, parser.next() == .needMore
    else {
        fatalError("chunked round trip of \(request)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard size > 0 else { return 0 }
    for limits in [fuzzLimits, HTTPParserLimits.default] {
        let whole = run(bytes, cuts: [], limits: limits)
        let split = Int(data[0]) % size
        let other = size - 1 - Int(data[size - 1]) % size
        let variants = [
            run(bytes, cuts: [split], limits: limits),
            run(bytes, cuts: [min(split, other), max(split, other)], limits: limits),
            size <= 4096 ? run(bytes, cuts: Array(1..<size), limits: limits) : whole,
        ]
        for (index, variant) in variants.enumerated() where variant != whole {
            fatalError("split variant \(index) differs: \(variant) vs whole \(whole)")
        }
    }
    return 0
}
