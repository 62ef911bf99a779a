'use strict';
// Input generator of the differential fuzzer (scripts/difffuzz.sh): one connection's worth of
// near-valid HTTP/1.1 request bytes per call, from a seeded RNG so a run is reproducible.
//
//   const { Rng, generate } = require('./gen.js');
//   const rng = new Rng(seed); const { bytes, tags } = generate(rng);
//
// Each input is 1–3 pipelined requests built from valid ones (GET/POST/HEAD/OPTIONS…, Host,
// Content-Length or chunked bodies with extensions and trailers, keep-alive/close, HTTP/1.0),
// then a few mutations that matter for framing (the list is MUTATIONS below; `tags` names the
// ones applied), then rarely a raw byte mutation, and sometimes a cut at a random point.

/** mulberry32: small, fast, good enough for fuzzing, and identical on every platform. */
class Rng {
  constructor(seed) {
    this.s = seed >>> 0;
  }
  next() {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n) {
    return Math.floor(this.next() * n);
  }
  chance(p) {
    return this.next() < p;
  }
  pick(a) {
    return a[this.int(a.length)];
  }
}

const CRLF = '\r\n';
const METHODS = ['GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH'];
const ODD_METHODS = ['get', 'FOO', 'M-SEARCH', 'TRACE', 'CONNECT', 'PROPFIND', 'G\tET', 'GE T', 'GET\x00', 'QUERY', 'PURGE', 'X~!#', ''];
const TARGETS = ['/', '/oauth/callback?code=abc&state=xyz', '/a/b.css', '/?', '/%41%2f', '/search?q=a+b'];
const ODD_TARGETS = [
  '/a#frag', '/#', '/?q=#x', 'http://user@example.com/', 'http://user:pw@example.com/x',
  'http://[::1]/', 'http://[fe80::1%25eth0]/', 'http://[::1]:8080/x', '*', 'http://example.com:80/x?y',
  'https://example.com', 'HTTP://EXAMPLE.COM/', 'ftp://example.com/', '//example.com/x', 'a', '/%zz',
  '/%', '', 'http:///x', 'http://:80/', '/a"b', '/a<b>', '/a{b}', '/a|b', '/a\\b', '/a^b', '/a`b',
  '/\x7f', '/\xe9', '/a\tb', 'example.com:443', '/a/../b', '/a?b?c', 'http://a/b#c', 'http://a@/x',
  'http://a.b:99999/', 'http://a..b/', 'http://%41/', 'http://[v1.x]/', 'http://[::1%eth0]/',
];
const HOSTS = ['example.com', 'a', 'example.com:8443', '127.0.0.1', '[::1]:443'];
const ODD_HOSTS = ['', 'a b', 'a:b:c', 'a@b', '[::1', 'a/b', 'a:', 'a:x', 'é', 'a,b', '[fe80::1%25x]', 'a%20b', 'a%2'];
const TE_VALUES = [
  'chunked', 'Chunked', 'CHUNKED', ' chunked', 'chunked ', '\tchunked', 'chunked, gzip', 'gzip, chunked',
  'gzip,chunked', 'chunked;x', 'chunked;q=1', 'chunked ;x', 'identity', 'gzip', 'chunked,', ',chunked',
  'chunked, chunked', 'chunked,,', 'chunk', 'chunkedx', 'x-chunked', '"chunked"', 'chunked\x0b', 'identity, chunked',
  'chunked\xa0',
];
const CL_VALUES = (n) => [
  `${n}`, `0${n}`, `00${n}`, ` ${n} `, `${n} `, `+${n}`, `-${n}`, `0x${n.toString(16)}`, `${n}.0`, '',
  `${n}, ${n}`, `${n},${n}`, `${n}, ${n + 1}`, `${n},`, `,${n}`, `${n} ${n}`, `${n};`, '18446744073709551616',
  '18446744073709551615', '99999999999999999999999', '999999999999999999', '1000000000000000000', '65536', '65537',
  `${n + 1}`, `${Math.max(0, n - 1)}`, `\t${n}`, `${n}\x00`, `${n}e0`,
];
const CHUNK_EXTS = [';a=b', ';a', ';a="b c"', ';a="b\\"c"', ';a="b', ' ;a=b', ';a=b ', ';a=b;c=d', ';="x"', ';a=\x7f', ';a="\r\n"', ';a\r=b', ';a=b\n', ';'];
const VERSIONS = ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.2', 'http/1.1', 'HTTP/1.10', 'HTTP/1.1 ', 'HTTP/1', 'HTTP/3.0', 'HTTPS/1.1', 'HTTP/1.1\t', ''];

/** A valid request as a structure: method, target, version, fields, body. */
function baseRequest(rng) {
  const method = rng.pick(METHODS);
  const req = {
    method,
    sp1: ' ',
    target: method === 'OPTIONS' && rng.chance(0.3) ? '*' : rng.pick(TARGETS),
    sp2: ' ',
    version: rng.chance(0.85) ? 'HTTP/1.1' : 'HTTP/1.0',
    fields: [],
    body: { kind: 'none' },
    eol: [], // per-line terminator overrides (index → string), header section
  };
  if (req.version === 'HTTP/1.1' || rng.chance(0.5)) req.fields.push(['Host', rng.pick(HOSTS)]);
  if (rng.chance(0.3)) req.fields.push(['User-Agent', 'difffuzz/1']);
  if (rng.chance(0.3)) req.fields.push(['Connection', rng.pick(['keep-alive', 'close', 'Keep-Alive', 'close, keep-alive', 'keep-alive, close', 'Upgrade', 'TE', 'CLOSE'])]);
  if (rng.chance(0.1)) req.fields.push(['Accept', '*/*']);
  const wantsBody = method === 'POST' || method === 'PUT' || method === 'PATCH' ? rng.chance(0.9) : rng.chance(0.15);
  if (wantsBody) {
    const data = randomBody(rng);
    if (rng.chance(0.6)) {
      req.body = { kind: 'cl', data };
      req.fields.push(['Content-Length', String(data.length)]);
    } else {
      req.body = { kind: 'chunked', chunks: splitChunks(rng, data), last: '0', trailers: [], lastExt: '' };
      if (rng.chance(0.3)) req.body.trailers.push(['X-Trailer', 'v']);
      req.fields.push(['Transfer-Encoding', 'chunked']);
    }
  }
  // Shuffle a little: Host is not always first.
  if (req.fields.length > 1 && rng.chance(0.3)) req.fields.reverse();
  return req;
}

function randomBody(rng) {
  const n = rng.pick([0, 1, 3, 5, 10, 16, 17, 31, 64]);
  let s = '';
  for (let i = 0; i < n; i++) s += rng.chance(0.1) ? rng.pick(['\r\n', '0\r\n\r\n', 'GET / HTTP/1.1\r\n', ';', '\x00']) : String.fromCharCode(97 + rng.int(26));
  return s;
}

function splitChunks(rng, data) {
  const chunks = [];
  let p = 0;
  while (p < data.length) {
    const n = 1 + rng.int(Math.min(20, data.length - p));
    chunks.push({ size: n.toString(16), ext: '', data: data.slice(p, p + n), after: CRLF });
    p += n;
  }
  return chunks;
}

function field(req, name) {
  return req.fields.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
}

/** Ensures the request has a chunked body to mutate; returns it. */
function ensureChunked(rng, req) {
  if (req.body.kind !== 'chunked') {
    const data = req.body.kind === 'cl' ? req.body.data : randomBody(rng) || 'abc';
    const cl = field(req, 'Content-Length');
    if (cl >= 0) req.fields.splice(cl, 1);
    req.body = { kind: 'chunked', chunks: splitChunks(rng, data), last: '0', trailers: [], lastExt: '' };
    if (field(req, 'Transfer-Encoding') < 0) req.fields.push(['Transfer-Encoding', 'chunked']);
  }
  if (req.body.chunks.length === 0) req.body.chunks.push({ size: '3', ext: '', data: 'abc', after: CRLF });
  // An earlier mutation may have renamed the field: keep one to mutate.
  if (field(req, 'Transfer-Encoding') < 0) req.fields.push(['Transfer-Encoding', 'chunked']);
  return req.body;
}

/** Structural mutations: name → function(rng, req). Each says what it targets. */
const MUTATIONS = {
  // Content-Length
  clOddValue(rng, req) {
    const n = req.body.kind === 'cl' ? req.body.data.length : 0;
    const v = rng.pick(CL_VALUES(n));
    const i = field(req, 'Content-Length');
    if (i >= 0) req.fields[i][1] = v; else req.fields.push(['Content-Length', v]);
    if (req.body.kind === 'none') req.body = { kind: 'cl', data: randomBody(rng) };
  },
  clDuplicate(rng, req) {
    const n = req.body.kind === 'cl' ? req.body.data.length : 0;
    req.fields.push(['Content-Length', rng.chance(0.5) ? String(n) : String(n + 1 + rng.int(3))]);
    if (req.body.kind === 'none') req.body = { kind: 'cl', data: '' };
  },
  clObsFold(rng, req) {
    const n = req.body.kind === 'cl' ? req.body.data.length : 0;
    if (req.body.kind === 'none') req.body = { kind: 'cl', data: '' };
    const i = field(req, 'Content-Length');
    const v = rng.pick([`\r\n ${n}`, `${n}\r\n ${n}`, `\r\n\t${n}`]);
    if (i >= 0) req.fields[i][1] = v; else req.fields.push(['Content-Length', v]);
  },
  clWithTe(rng, req) {
    if (req.body.kind === 'chunked') req.fields.splice(rng.int(req.fields.length + 1), 0, ['Content-Length', String(rng.int(8))]);
    else {
      if (req.body.kind === 'none') req.body = { kind: 'cl', data: 'abc' };
      if (field(req, 'Content-Length') < 0) req.fields.push(['Content-Length', String(req.body.data.length)]);
      req.fields.splice(rng.int(req.fields.length + 1), 0, ['Transfer-Encoding', rng.pick(TE_VALUES)]);
    }
  },
  // Transfer-Encoding
  teVariant(rng, req) {
    ensureChunked(rng, req);
    req.fields[field(req, 'Transfer-Encoding')][1] = rng.pick(TE_VALUES);
  },
  teTwoLines(rng, req) {
    ensureChunked(rng, req);
    const i = field(req, 'Transfer-Encoding');
    const other = ['Transfer-Encoding', rng.pick(['gzip', 'chunked', 'identity', ''])];
    req.fields.splice(rng.chance(0.5) ? i : i + 1, 0, other);
  },
  teObsFold(rng, req) {
    ensureChunked(rng, req);
    const i = field(req, 'Transfer-Encoding');
    req.fields[i][1] = rng.pick(['\r\n chunked', 'gzip,\r\n chunked', 'chunked\r\n\t', '\r\n\tchunked']);
  },
  teNameOdd(rng, req) {
    ensureChunked(rng, req);
    const i = field(req, 'Transfer-Encoding');
    req.fields[i][0] = rng.pick(['Transfer-Encoding ', 'Transfer-Encoding\t', ' Transfer-Encoding', 'Transfer_Encoding', 'TRANSFER-ENCODING', 'Transfer-Encoding\x00', 'Transfer-Encodings', 'Transfer-\xe9ncoding']);
  },
  // Field syntax
  wsBeforeColon(rng, req) {
    if (!req.fields.length) return;
    const f = rng.pick(req.fields);
    f[0] = f[0] + rng.pick([' ', '\t', '  ']);
  },
  obsFold(rng, req) {
    if (!req.fields.length) return;
    const f = rng.pick(req.fields);
    f[1] = f[1] + rng.pick(['\r\n x', '\r\n\tx', '\r\n ', '\r\n  \r\n y']);
  },
  leadingWsField(rng, req) {
    if (!req.fields.length) return;
    const f = rng.pick(req.fields);
    f[0] = rng.pick([' ', '\t']) + f[0];
  },
  ctlInField(rng, req) {
    if (!req.fields.length) return;
    const f = rng.pick(req.fields);
    const c = rng.pick(['\x00', '\x01', '\x7f', '\x0b', '\x0c', '\r', '\n', '\xff', '\x80', '\t']);
    if (rng.chance(0.7)) {
      const p = rng.int(f[1].length + 1);
      f[1] = f[1].slice(0, p) + c + f[1].slice(p);
    } else {
      const p = rng.int(f[0].length + 1);
      f[0] = f[0].slice(0, p) + c + f[0].slice(p);
    }
  },
  emptyFieldName(rng, req) {
    req.fields.splice(rng.int(req.fields.length + 1), 0, [rng.pick(['', ':', 'X:'])  , 'v']);
  },
  // Line endings
  bareLineEnd(rng, req) {
    req.eolAll = rng.chance(0.3) ? rng.pick(['\n', '\r', '\r\r\n', '\n\r']) : undefined;
    if (!req.eolAll) req.eol[rng.int(req.fields.length + 2)] = rng.pick(['\n', '\r', '\r\r\n', '\n\r', ' \r\n']);
  },
  // Chunked bodies
  chunkSizeOdd(rng, req) {
    const b = ensureChunked(rng, req);
    const c = rng.pick(b.chunks);
    const n = parseInt(c.size, 16);
    c.size = rng.pick([
      n.toString(16).toUpperCase(), '0' + c.size, '000' + c.size, '0x' + c.size, '0X' + c.size, ' ' + c.size, c.size + ' ', c.size + '\t',
      '\t' + c.size, '-' + c.size, '+' + c.size, '', 'g', 'ffffffffffffffffff', '10000000000000000', 'fffffffffffffff',
      c.size + ' ;a=b', (n + 1).toString(16), Math.max(0, n - 1).toString(16), c.size + '\x00', c.size + 'z',
    ]);
  },
  chunkExt(rng, req) {
    const b = ensureChunked(rng, req);
    if (rng.chance(0.3)) b.lastExt = rng.pick(CHUNK_EXTS);
    else rng.pick(b.chunks).ext = rng.pick(CHUNK_EXTS);
  },
  chunkDataEnd(rng, req) {
    const b = ensureChunked(rng, req);
    rng.pick(b.chunks).after = rng.pick(['', '\n', '\r', 'x\r\n', '\r\r\n', ' \r\n', '\r\n\r\n', 'xx']);
  },
  lastChunk(rng, req) {
    const b = ensureChunked(rng, req);
    b.last = rng.pick(['00', '000', '0 ', ' 0', '0x0', '0\t', '']);
    if (rng.chance(0.2)) b.noFinalCrlf = true;
  },
  trailers(rng, req) {
    const b = ensureChunked(rng, req);
    b.trailers.push(rng.pick([
      ['X-T', 'v'], ['Content-Length', '5'], ['Transfer-Encoding', 'chunked'], ['Host', 'evil'], ['X T', 'v'],
      ['X-T ', 'v'], ['X-T', 'a\r\n b'], ['X-T', 'a\x00'], [' X-T', 'v'], ['Connection', 'close'],
    ]));
  },
  // Other semantics
  expect(rng, req) {
    req.fields.push(['Expect', rng.pick(['100-continue', '100-Continue', 'foo', ''])]);
  },
  method(rng, req) {
    req.method = rng.pick(ODD_METHODS);
    if (req.method === 'CONNECT') req.target = rng.pick(['example.com:443', 'example.com', '/x', '[::1]:80']);
  },
  target(rng, req) {
    req.target = rng.pick(ODD_TARGETS);
  },
  version(rng, req) {
    req.version = rng.pick(VERSIONS);
  },
  requestLineSpaces(rng, req) {
    if (rng.chance(0.5)) req.sp1 = rng.pick(['  ', '\t', '', ' \t']);
    else req.sp2 = rng.pick(['  ', '\t', '', ' \t']);
  },
  host(rng, req) {
    const i = field(req, 'Host');
    const choice = rng.int(3);
    if (choice === 0 && i >= 0) req.fields.splice(i, 1);
    else if (choice === 1) req.fields.push(['Host', rng.pick(HOSTS)]);
    else if (i >= 0) req.fields[i][1] = rng.pick(ODD_HOSTS); else req.fields.push(['Host', rng.pick(ODD_HOSTS)]);
  },
  connection(rng, req) {
    req.fields.push(['Connection', rng.pick(['close', 'keep-alive', 'keep-alive, close', 'close, keep-alive', 'Close', 'closed', 'keep-alive,close', ' close ', 'upgrade', 'x, close'])]);
    if (rng.chance(0.3)) req.fields.push(['Upgrade', 'websocket']);
  },
  http10(rng, req) {
    req.version = 'HTTP/1.0';
  },
};
const MUTATION_NAMES = Object.keys(MUTATIONS);

/** The request's bytes (as a latin1 string). */
function serialize(req) {
  const eol = (i) => req.eolAll ?? req.eol[i] ?? CRLF;
  let s = `${req.method}${req.sp1}${req.target}${req.sp2}${req.version}${eol(0)}`;
  req.fields.forEach(([n, v], i) => {
    s += `${n}:${v === '' || /^[ \t\r]/.test(v) ? '' : ' '}${v}${eol(i + 1)}`;
  });
  s += eol(req.fields.length + 1);
  const b = req.body;
  if (b.kind === 'cl') s += b.data;
  if (b.kind === 'chunked') {
    for (const c of b.chunks) s += `${c.size}${c.ext}${CRLF}${c.data}${c.after}`;
    s += `${b.last}${b.lastExt}${CRLF}`;
    for (const [n, v] of b.trailers) s += `${n}: ${v}${CRLF}`;
    if (!b.noFinalCrlf) s += CRLF;
  }
  return s;
}

/** Raw byte mutations, applied rarely after serialization. */
const INTERESTING = ['\r', '\n', '\r\n', '\x00', ' ', '\t', ':', ';', '"', ',', '0', 'a', '\x7f', '\xff', '\r\n\r\n'];
function byteMutate(rng, s) {
  const p = rng.int(s.length + 1);
  switch (rng.int(4)) {
    case 0: return s.slice(0, p) + rng.pick(INTERESTING) + s.slice(p);
    case 1: return s.slice(0, p) + s.slice(p + 1 + rng.int(3));
    case 2: return s.slice(0, p) + String.fromCharCode(rng.int(256)) + s.slice(p + 1);
    default: {
      const q = rng.int(s.length + 1);
      return s.slice(0, p) + s.slice(Math.min(p, q), Math.max(p, q)) + s.slice(p);
    }
  }
}

/** One input: { bytes: Buffer, tags: [mutation names] }. */
function generate(rng) {
  const count = rng.chance(0.5) ? 1 : rng.chance(0.7) ? 2 : 3;
  const tags = [];
  let s = '';
  for (let i = 0; i < count; i++) {
    const req = baseRequest(rng);
    // Mostly one mutation per input (so each difference has one cause), sometimes none or more.
    const n = rng.chance(0.1) ? 0 : rng.chance(0.75) ? 1 : 2;
    if (i === 0 || rng.chance(0.3)) {
      for (let k = 0; k < n; k++) {
        const name = rng.pick(MUTATION_NAMES);
        MUTATIONS[name](rng, req);
        tags.push(name);
      }
    }
    if (i > 0 && rng.chance(0.1)) s += rng.pick(['\r\n', '\r\n\r\n', '\n']);
    s += serialize(req);
  }
  if (rng.chance(0.05)) {
    s = byteMutate(rng, s);
    tags.push('byte');
  }
  if (rng.chance(0.05)) {
    s = s.slice(0, rng.int(s.length + 1));
    tags.push('cut');
  }
  return { bytes: Buffer.from(s, 'latin1'), tags };
}

module.exports = { Rng, generate, MUTATION_NAMES };
