'use strict';
// The differences between our parser and llhttp that are known and allowed, each with the rule
// that backs it. Used by scripts/difffuzz/driver.js.
//
// STRICTER: we reject a request llhttp (strict) accepts or is still waiting for. Each class needs
// our error case AND something in the rejected request's head that explains it.
// LENIENT: we accept a request llhttp rejects. Allowed only when llhttp's reason is not about
// framing, or the RFC lets a recipient accept the exact shape.
// Anything else that differs is a failure.

/** Trims OWS (SP / HTAB) only: String.trim() would also drop VT, FF, NBSP... */
const ows = (s) => s.replace(/^[ \t]+|[ \t]+$/g, '');

/**
 * A loose view of the request head starting at `start`: request line, target, fields; `end` is
 * the input offset just past the head's empty line (`complete` when there is one).
 */
function headAt(input, start) {
  let s = input.toString('latin1', start);
  const skipped = s.length - s.replace(/^[\r\n]+/, '').length;
  s = s.slice(skipped);
  const end = s.indexOf('\r\n\r\n');
  const head = end >= 0 ? s.slice(0, end + 2) : s;
  const lines = head.split(/\r?\n/);
  const requestLine = lines[0] ?? '';
  const parts = requestLine.split(' ');
  const fields = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.push([ows(line.slice(0, colon)).toLowerCase(), ows(line.slice(colon + 1))]);
  }
  return { text: head, complete: end >= 0, end: start + skipped + end + 4, requestLine, method: parts[0] ?? '', target: parts[1] ?? '', version: parts[2] ?? '', fields };
}

/** The line (between line breaks) holding input offset `at`. */
function lineAt(input, at) {
  const s = input.toString('latin1');
  const from = Math.max(s.lastIndexOf('\n', at - 1), s.lastIndexOf('\r', at - 1)) + 1;
  let to = s.slice(at).search(/[\r\n]/);
  to = to < 0 ? s.length : at + to;
  return s.slice(from, to);
}

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
/** RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ). */
const CHUNK_EXT = new RegExp(`^(?:[ \\t]*;[ \\t]*${TOKEN}(?:[ \\t]*=[ \\t]*(?:${TOKEN}|${QUOTED}))?)*$`);

const values = (h, name) => h.fields.filter(([n]) => n === name).map(([, v]) => v);
const absolute = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/;

/**
 * Whether an authority uses "[" or "]" other than as one IP-literal host: RFC 3986 §3.2.2,
 * IP-literal = "[" ( IPv6address / IPvFuture ) "]", and both are gen-delims, allowed nowhere else
 * in an authority (an unterminated "[v1." for one).
 */
const unbracketed = (authority) => /[[\]]/.test(authority) && !/^(?:[^@[\]]*@)?\[[^[\]]*\](?::\d*)?$/.test(authority);

const STRICTER = [
  {
    id: 'fragment-in-target',
    rfc: 'RFC 9112 §3.2: none of the four request-target forms has a fragment ("#")',
    when: (e, h) => e === 'invalidTarget' && h.target.includes('#'),
  },
  {
    id: 'userinfo-in-target',
    rfc: 'RFC 9110 §4.2.4: userinfo in an http(s) URI is deprecated; a recipient SHOULD treat it as an error',
    when: (e, h) => e === 'invalidTarget' && (absolute.exec(h.target)?.[2] ?? '').includes('@'),
  },
  {
    id: 'ipv6-zone-id',
    rfc: 'RFC 3986 §3.2.2 (used by RFC 9110 §4.2): IP-literal has no zone identifier; RFC 6874 does not apply to HTTP',
    when: (e, h) =>
      (e === 'invalidTarget' && /\[[^\]]*%/.test(h.target)) || (e === 'invalidHost' && values(h, 'host').some((v) => /\[[^\]]*%/.test(v))),
  },
  {
    id: 'asterisk-not-options',
    rfc: 'RFC 9112 §3.2.4: asterisk-form is only used for a server-wide OPTIONS request',
    when: (e, h) => e === 'invalidTarget' && h.target === '*' && h.method !== 'OPTIONS',
  },
  {
    id: 'absolute-form-not-http',
    rfc: 'RFC 9110 §4.2.1: an http(s) URI with an empty host MUST be rejected; RFC 3986 §3.2.3 port = *DIGIT; other schemes are not ours to serve (RFC 9110 §7.4)',
    when: (e, h) => {
      const m = absolute.exec(h.target);
      return e === 'invalidTarget' && m && (!/^https?$/i.test(m[1]) || m[2] === '' || m[2].startsWith(':') || /^[^[]*:[^0-9]/.test(m[2]) || /:\d*\D/.test(m[2].replace(/^\[.*\]/, '')));
    },
  },
  {
    id: 'target-not-a-uri',
    rfc: 'RFC 9112 §3.2: request-target = origin-form / absolute-form / authority-form / asterisk-form; RFC 3986 §3.2.2 reg-name and §2.1 pct-encoded',
    when: (e, h) =>
      e === 'invalidTarget' &&
      (!/^(\/|\*$|[A-Za-z][A-Za-z0-9+.-]*:)/.test(h.target) || // not one of the forms
        /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*[^A-Za-z0-9\-._~!$&'()*+,;=:[\]%]/.test(h.target) || // bad authority byte
        /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*%(?![0-9A-Fa-f]{2})/.test(h.target) || // bad pct-encoding
        unbracketed(absolute.exec(h.target)?.[2] ?? '')),
  },
  {
    id: 'connect-target',
    rfc: 'RFC 9112 §3.2.3 and RFC 9110 §9.3.6: a CONNECT target is authority-form, uri-host ":" port, and the client MUST send the port',
    when: (e, h) => e === 'invalidTarget' && h.method === 'CONNECT' && !/^([A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+:\d+$/.test(h.target),
  },
  {
    id: 'host-field',
    rfc: 'RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, with several Host lines, or an invalid Host value',
    when: (e, h) => {
      if (e !== 'invalidHost') return false;
      const hosts = values(h, 'host');
      return hosts.length !== 1 || !/^([A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*(:\d*)?$|^\[[0-9A-Fa-f:.]+\](:\d*)?$/.test(hosts[0]) || hosts[0] === '' || hosts[0].startsWith(':');
    },
  },
  {
    id: 'chunked-411',
    rfc: 'RFC 9110 §15.5.12 (411 Length Required): known gap while the parser rejects chunked (RFC 9112 §7.1 asks recipients to parse it)',
    when: (e, h) => e === 'chunkedNotSupported' && values(h, 'transfer-encoding').length > 0,
  },
  {
    id: 'transfer-coding-unsupported',
    rfc: 'RFC 9112 §6.1: a server that receives a transfer coding it does not understand SHOULD respond 501',
    when: (e, h) => e === 'unsupportedTransferEncoding' && values(h, 'transfer-encoding').flatMap((v) => v.split(',')).map(ows).some((x) => x !== '' && x.toLowerCase() !== 'chunked'),
  },
  {
    id: 'chunked-not-final',
    rfc: 'RFC 9112 §6.3 rule 4: Transfer-Encoding present in a request and chunked not the final coding → the server MUST answer 400 and close (llhttp lets some through, e.g. beside an Upgrade)',
    when: (e, h) => {
      if (e !== 'chunkedNotFinal') return false;
      const codings = values(h, 'transfer-encoding').flatMap((v) => v.split(',')).map(ows).filter((x) => x !== '');
      return codings.length === 0 || codings[codings.length - 1].toLowerCase() !== 'chunked';
    },
  },
  {
    id: 'transfer-encoding-empty',
    rfc: 'RFC 9112 §6.3 rule 4: Transfer-Encoding present in a request and chunked not final → 400 and close; llhttp ignores an empty Transfer-Encoding',
    when: (e, h) => /TransferEncoding|chunked/i.test(e) && values(h, 'transfer-encoding').length > 0 && values(h, 'transfer-encoding').flatMap((v) => v.split(',')).map(ows).every((x) => x === ''),
  },
  {
    id: 'connection-close-wins',
    rfc: 'RFC 9112 §9.3: with the "close" option the connection does not persist, even beside "keep-alive" (decided in driver.js compare())',
    when: () => false,
  },
  {
    id: 'chunked-applied-twice',
    rfc: 'RFC 9112 §6.1: a sender MUST NOT apply chunked more than once (HTAB is OWS, so "chunked<HTAB>" is chunked; llhttp takes it for an unknown coding)',
    when: (e, h) => e === 'chunkedAppliedTwice' && values(h, 'transfer-encoding').flatMap((v) => v.split(',')).map((x) => ows(x).toLowerCase()).filter((x) => x === 'chunked').length > 1,
  },
  {
    id: 'transfer-encoding-http10',
    rfc: 'RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message MUST be treated as faulty framing',
    when: (e, h) => e === 'transferEncodingInHTTP10' && h.version.startsWith('HTTP/1.0'),
  },
  {
    id: 'content-length-with-transfer-encoding',
    rfc: 'RFC 9112 §6.1: a server MAY reject a request with both Content-Length and Transfer-Encoding',
    when: (e, h) => e === 'contentLengthWithTransferEncoding' && values(h, 'content-length').length > 0 && values(h, 'transfer-encoding').length > 0,
  },
  {
    id: 'http-version',
    rfc: 'RFC 9110 §15.6.6 (505): only HTTP/1.0 and HTTP/1.1 are served',
    when: (e, h) => e === 'unsupportedVersion' && !/^HTTP\/1\.[01]$/.test(h.version),
  },
  {
    id: 'body-over-limit',
    rfc: 'RFC 9110 §15.5.14 (413 Content Too Large): Content-Length or a chunk size over the configured maxBodyBytes',
    // (generated bodies are at most a few hundred bytes, so any larger Content-Length is the cause)
    when: (e, h, rest) =>
      e === 'bodyTooLarge' &&
      (values(h, 'content-length').some((v) => /^\d+$/.test(ows(v.split(',')[0])) && BigInt(ows(v.split(',')[0])) > 4096n) ||
        rest.split('\r\n').some((l) => /^[0-9A-Fa-f]{4,}/.test(l) && BigInt('0x' + /^[0-9A-Fa-f]+/.exec(l)[0]) > 4096n)),
  },
  {
    id: 'obs-fold',
    rfc: 'RFC 9112 §5.2: a server MAY reject obs-fold with 400; §2.2: whitespace before the first field line',
    when: (e, h) => e === 'obsoleteLineFolding' && /\r?\n[ \t]/.test(h.text),
  },
  {
    id: 'field-value-control',
    rfc: 'RFC 9110 §5.5: field-vchar = VCHAR / obs-text; CTLs other than HTAB and DEL are not allowed',
    when: (e, h) => e === 'invalidHeaderValue' && /[\x00-\x08\x0a-\x1f\x7f]/.test(h.text.split(/\r\n/).slice(1).join('')),
  },
  {
    id: 'bare-lf',
    rfc: 'RFC 9112 §2.2: a recipient MAY recognize a bare LF as a line terminator; we require CRLF',
    when: (e, h, rest) => e === 'bareCarriageReturn' && /(^|[^\r])\n/.test(rest),
  },
  {
    id: 'body-error-after-protocol-switch',
    rfc: 'node hands a CONNECT/Upgrade connection to the application after the head (decided in driver.js compare(); the head alone must parse for us)',
    when: () => false,
  },
  {
    id: 'bare-cr',
    rfc: 'RFC 9112 §2.2: a recipient MUST consider an element with a bare CR invalid (or replace it with SP); llhttp skips CRs before a request line',
    when: (e, h, rest) => e === 'bareCarriageReturn' && /\r(?!\n)/.test(rest),
  },
  {
    id: 'chunk-ext-grammar',
    rfc: 'RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), name a token, value a token or quoted-string',
    when: (e, h, rest) => e === 'invalidChunkExtension' && rest.split('\r\n').some((l) => /^[0-9A-Fa-f]+[ \t]*;/.test(l) && !CHUNK_EXT.test(l.replace(/^[0-9A-Fa-f]+/, ''))),
  },
  {
    id: 'request-line-grammar',
    rfc: 'RFC 9112 §3: request-line = method SP request-target SP HTTP-version (one SP each; parsing on other whitespace is only a MAY); §2.3 HTTP-version = "HTTP/" DIGIT "." DIGIT',
    when: (e, h) => e === 'malformedRequestLine' && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [\x21-\x7e]+ HTTP\/\d\.\d$/.test(h.requestLine),
  },
  {
    id: 'content-length-over-18-digits',
    rfc: 'RFC 9110 §8.6: a recipient MUST prevent integer overflow when parsing Content-Length; we refuse more than 18 digits (with 400; 413 would also fit)',
    when: (e, h) => e === 'invalidContentLength' && values(h, 'content-length').some((v) => v.split(',').some((x) => /^\d{19,}$/.test(ows(x)))),
  },
];

const LENIENT = [
  {
    id: 'protocol-switch',
    rfc: 'node hands a CONNECT/Upgrade connection to the application after the head; we ignore Upgrade (RFC 9110 §7.8 allows it) and frame the body by Content-Length/chunked (RFC 9110 §9.3.6: CONNECT has no content)',
    when: () => false, // decided in driver.js compare(), listed here for its rule
  },
  {
    id: 'connection-option-ows',
    rfc: 'RFC 9110 §7.6.1/§5.5: connection options are tokens with OWS (SP / HTAB) trimmed; llhttp does not see "keep-alive<HTAB>" (decided in driver.js compare())',
    when: () => false,
  },
  {
    id: 'transfer-encoding-list-syntax',
    rfc: 'RFC 9110 §5.6.1: a recipient MUST ignore empty list elements; §5.5/RFC 9112 §5.1: OWS (SP / HTAB) around a value is not part of it. llhttp refuses "chunked," and "chunked<HTAB>"',
    when: (code, h, ctx) => {
      if (ctx.pastHead || code !== 'HPE_INVALID_TRANSFER_ENCODING') return false;
      const codings = values(h, 'transfer-encoding').flatMap((v) => v.split(',')).map(ows).filter((x) => x !== '');
      return codings.length === 1 && codings[0].toLowerCase() === 'chunked';
    },
  },
  {
    id: 'content-length-ows',
    rfc: 'RFC 9112 §5.1: OWS (SP / HTAB) around a field value is not part of it; llhttp refuses HTAB after the digits (we wait for the line\'s end when the input stops inside that OWS)',
    // why: the input may be cut inside the trailing OWS or between its CR and LF, so the line can
    // end at the end of the input, and the last value can keep that lone CR.
    when: (code, h, ctx) => !ctx.pastHead && code === 'HPE_INVALID_CONTENT_LENGTH' && values(h, 'content-length').length > 0 && values(h, 'content-length').every((v) => /^\d+(?:[ \t]*\r)?$/.test(v)) && /content-length:[ \t]*\d+[ \t]*(?:\r\n|\r?$)/i.test(h.text),
  },
  {
    id: 'method-unknown-to-llhttp',
    rfc: 'RFC 9110 §9.1: method = token, any token is syntactically valid (we answer unknown ones 501); llhttp knows a fixed list',
    when: (code, h) => code === 'HPE_INVALID_METHOD' && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(h.method),
  },
  {
    id: 'content-length-identical-values',
    rfc: 'RFC 9110 §8.6: a recipient MAY accept a Content-Length list or repeated fields of one identical value as that value',
    when: (code, h, ctx) => {
      if (ctx.pastHead || (code !== 'HPE_INVALID_CONTENT_LENGTH' && code !== 'HPE_UNEXPECTED_CONTENT_LENGTH')) return false;
      const all = values(h, 'content-length').flatMap((v) => v.split(',')).map(ows);
      return all.length > 1 && all.every((v) => /^\d+$/.test(v) && BigInt(v) === BigInt(all[0]));
    },
  },
];

LENIENT.push(
  {
    id: 'framing-field-in-trailer',
    rfc: 'RFC 9110 §6.5.1: framing fields cannot be processed outside the header section and a trailer field MUST NOT be merged into it; llhttp applies Content-Length/Transfer-Encoding trailers, we ignore them',
    when: (code, h, ctx) =>
      ctx.pastHead && ['HPE_INVALID_CONTENT_LENGTH', 'HPE_UNEXPECTED_CONTENT_LENGTH', 'HPE_INVALID_TRANSFER_ENCODING'].includes(code) && /^(content-length|transfer-encoding)\s*:/i.test(ctx.line),
  },
  {
    id: 'connection-close-in-trailer',
    rfc: 'RFC 9110 §6.5.1 (trailers do not carry connection control) and §7.6.1: llhttp closes on a Connection: close trailer, we ignore it',
    when: (code, h, ctx) => code === 'HPE_CLOSED_CONNECTION' && /\r\n0[^\r]*\r\n(?:[^\r]*\r\n)*?connection:[^\r]*close/i.test(ctx.previous),
  },
  {
    id: 'chunk-ext-bws',
    rfc: 'RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), BWS = *( SP / HTAB ); llhttp refuses SP before ";" (unless kLenientSpacesAfterChunkSize) and HTAB around "="',
    when: (code, h, ctx) => {
      const ext = ctx.line.replace(/^[0-9A-Fa-f]+/, '');
      return ctx.pastHead && (code === 'HPE_INVALID_CHUNK_SIZE' || code === 'HPE_STRICT') && /^[0-9A-Fa-f]+[ \t]*;/.test(ctx.line) && /[ \t]/.test(ext) && CHUNK_EXT.test(ext);
    },
  },
);

module.exports = { STRICTER, LENIENT, headAt, lineAt };
