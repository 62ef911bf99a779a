'use strict';
// llhttp side of the differential fuzzer (scripts/difffuzz.sh): parses one connection's bytes
// with node's own llhttp binding in STRICT mode and returns the same verdict shape as
// scripts/difffuzz/ParserProbe.swift:
//
//   { r: [{ m, t, v, bl, bh, ka, end, up }], s: 'needMore' | 'error' | 'upgrade', e: 'HPE_…',
//     why: reason, at: offset of the byte llhttp rejected, p: bytes after the last request }
//
// Used as a module by scripts/difffuzz/driver.js; standalone it reads the same length-prefixed
// frames on stdin and prints one JSON line per frame:
//
//   node --no-deprecation scripts/difffuzz/driver.js --emit 5 --seed 1 \
//     | node --no-deprecation scripts/difffuzz/llhttp-probe.js
//
// Flags: the parser is initialised with lenient flags = kLenientNone (0), exactly what node's
// http server passes when `insecureHTTPParser` is false (its default): none of kLenientHeaders,
// kLenientChunkedLength, kLenientKeepAlive, kLenientTransferEncoding, kLenientVersion,
// kLenientDataAfterClose, kLenientOptionalLFAfterCR, kLenientOptionalCRLFAfterChunk,
// kLenientOptionalCRBeforeLF, kLenientSpacesAfterChunkSize. The driver also clears NODE_OPTIONS
// so `--insecure-http-parser` cannot sneak in. maxHeaderSize 0 means node's default (16 KiB).

// why: node 20 exposes llhttp only through the internal `http_parser` binding;
// process.binding() prints a deprecation warning (silenced with --no-deprecation) but needs no
// --expose-internals flag, unlike require('internal/...').
// why: `methods` is packed (index ≠ llhttp's method number once numbers skip, e.g. QUERY is 46
// but methods[34]); `allMethods` is indexed by the number llhttp reports.
const { HTTPParser, allMethods } = process.binding('http_parser');
if (!allMethods || HTTPParser.kLenientNone !== 0) {
  throw new Error(`llhttp-probe: node ${process.version} lacks the http_parser binding this probe expects (node 20)`);
}

/** FNV-1a 32 over a Buffer, as hex: the same as ParserProbe.swift's. */
function fnv1a(buf) {
  let h = 0x811c9dc5;
  for (let i = 0; i < buf.length; i++) {
    h ^= buf[i];
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Runs llhttp over `input` (a Buffer) and returns the verdict. */
function probe(input) {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {}, 0, HTTPParser.kLenientNone);
  const requests = [];
  let current = null;
  let bodyParts = [];
  let flushedUrl = '';
  let completed = false;
  parser[HTTPParser.kOnMessageBegin] = () => {
    current = null;
    bodyParts = [];
    flushedUrl = '';
  };
  // why: node flushes headers to kOnHeaders (with the URL) when a message has more than 32
  // fields; the URL then is not passed to kOnHeadersComplete.
  parser[HTTPParser.kOnHeaders] = (headers, url) => {
    if (url) flushedUrl += url;
  };
  parser[HTTPParser.kOnHeadersComplete] = (major, minor, headers, method, url, _sc, _sm, upgrade, keepAlive) => {
    current = {
      m: allMethods[method] ?? `#${method}`,
      t: url === undefined ? flushedUrl : url,
      v: `${major}.${minor}`,
      ka: !!keepAlive,
      up: !!upgrade,
    };
    // why: the return value tells llhttp whether to skip the body (only meaningful for responses
    // to HEAD); undefined would be read as 0 too, but be explicit.
    return 0;
  };
  parser[HTTPParser.kOnBody] = (chunk) => {
    bodyParts.push(Buffer.from(chunk));
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    completed = true;
  };

  // why: the binding reports no offset for on_message_complete, so the input goes in one byte per
  // execute() call; the byte that completes a message is its last. (llhttp is incremental, so
  // the result does not depend on the split.)
  let verdict = null;
  for (let i = 0; i < input.length; i++) {
    completed = false;
    const ret = parser.execute(input.subarray(i, i + 1));
    if (completed && current) {
      const body = Buffer.concat(bodyParts);
      requests.push({ ...current, bl: body.length, bh: fnv1a(body), end: i + 1 });
      current = null;
      bodyParts = [];
      // CONNECT or Upgrade: llhttp stops parsing HTTP here (the connection changes protocol).
      if (requests[requests.length - 1].up) {
        verdict = { r: requests, s: 'upgrade' };
        break;
      }
    }
    if (ret instanceof Error) {
      verdict = { r: requests, s: 'error', e: ret.code, why: ret.reason, at: i };
      break;
    }
  }
  parser.close();
  if (!verdict) {
    const last = requests.length ? requests[requests.length - 1].end : 0;
    verdict = { r: requests, s: 'needMore', p: input.length - last };
  }
  // The head of a CONNECT/Upgrade request whose message did not complete: node hands such a
  // connection over to the application after the head, whatever llhttp makes of the rest.
  if (current && current.up) verdict.upHead = { m: current.m, t: current.t, v: current.v };
  return verdict;
}

/** Splits a buffer of length-prefixed frames. */
function* frames(data) {
  let p = 0;
  while (p + 4 <= data.length) {
    const n = data.readUInt32BE(p);
    p += 4;
    if (p + n > data.length) throw new Error('truncated frame');
    yield data.subarray(p, p + n);
    p += n;
  }
}

module.exports = { probe, fnv1a, frames };

if (require.main === module) {
  const data = require('fs').readFileSync(0);
  const out = [];
  for (const f of frames(data)) out.push(JSON.stringify(probe(f)));
  process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
}
