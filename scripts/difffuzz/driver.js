'use strict';
// Differential fuzzer driver: generates near-valid request streams (gen.js), runs each through
// our parser (the Swift probe, .build-difffuzz/parser-probe, in batches over a pipe) and llhttp
// (llhttp-probe.js, in process), compares the framing, and prints a summary. Exits 1 when a
// difference is not one of the allowed classes in classes.js. Normally run by
// scripts/difffuzz.sh, which builds the probe first:
//
//   node --no-deprecation scripts/difffuzz/driver.js --probe .build-difffuzz/parser-probe \
//     --seconds 300 --seed 42 [--count N] [--show-allowed K]
//   node --no-deprecation scripts/difffuzz/driver.js --emit N --seed S   # frames on stdout
//   node --no-deprecation scripts/difffuzz/driver.js --input '"GET / HTTP/1.1\r\n..."'  # one input
//
// A failure is printed with the seed and input number, the input (JSON-escaped latin1), both
// verdicts, and a shrunk input that still fails the same way.

const { spawnSync } = require('child_process');
const { Rng, generate } = require('./gen.js');
const { probe } = require('./llhttp-probe.js');
const { STRICTER, LENIENT, headAt, lineAt } = require('./classes.js');

function parseArgs(argv) {
  const o = { input: undefined, seconds: 20, seed: 1, count: Infinity, probe: '.build-difffuzz/parser-probe', emit: 0, showAllowed: 0, batch: 2000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--seconds') o.seconds = Number(v());
    else if (a === '--seed') o.seed = Number(v());
    else if (a === '--count') o.count = Number(v());
    else if (a === '--probe') o.probe = v();
    else if (a === '--emit') o.emit = Number(v());
    else if (a === '--show-allowed') o.showAllowed = Number(v());
    else if (a === '--input') o.input = v();
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function frame(inputs) {
  const parts = [];
  for (const b of inputs) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    parts.push(len, b);
  }
  return Buffer.concat(parts);
}

/** Runs the Swift probe over `inputs`; returns one verdict per input. */
function runOurs(probePath, inputs) {
  // why: a trap in the parser should print its message, not the Swift runtime's long backtrace.
  const env = { ...process.env, SWIFT_BACKTRACE: 'enable=no' };
  const r = spawnSync(probePath, [], { input: frame(inputs), maxBuffer: 1 << 30, env });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    const e = new Error(`parser-probe exited ${r.status} (signal ${r.signal}): ${r.stderr.toString().slice(0, 2000)}`);
    e.crash = true;
    throw e;
  }
  const lines = r.stdout.toString('utf8').split('\n').filter(Boolean);
  if (lines.length !== inputs.length) throw new Error(`parser-probe gave ${lines.length} verdicts for ${inputs.length} inputs`);
  return lines.map((l) => JSON.parse(l));
}

const SAME_FIELDS = ['m', 't', 'v', 'bl', 'bh', 'end'];
const fail = (id, why) => ({ kind: 'fail', id, why });

/** Appended to an input to end any open line and header section ("what if the client went on"). */
const COMPLETION = Buffer.from('\r\n\r\n', 'latin1');

/** RFC 9112 §9.3: whether the connection persists after this request head. */
function rfcKeepAlive(h) {
  const options = h.fields.filter(([n]) => n === 'connection').flatMap(([, v]) => v.split(',')).map((o) => o.replace(/^[ \t]+|[ \t]+$/g, '').toLowerCase());
  if (options.includes('close')) return false;
  if (h.version === 'HTTP/1.1') return true;
  return h.version === 'HTTP/1.0' && options.includes('keep-alive');
}

/** Start of request `i` (the end of the one before it). */
const startOf = (v, i) => (i === 0 ? 0 : v.r[i - 1].end);

function stricter(input, ours, i) {
  const h = headAt(input, startOf(ours, i));
  const cls = STRICTER.find((c) => c.when(ours.e, h, input.subarray(startOf(ours, i)).toString('latin1')));
  return cls ? { kind: 'stricter', id: cls.id } : fail(`unexplained-stricter:${ours.e}`, `we reject request ${i} (${ours.e}), llhttp does not`);
}

function lenient(input, ours, theirs, i) {
  const start = startOf(ours, i);
  const h = headAt(input, start);
  const ctx = {
    rest: input.subarray(start).toString('latin1'),
    // The line llhttp rejected, and whether it is past this request's header section.
    line: theirs.at === undefined ? '' : lineAt(input, theirs.at),
    pastHead: theirs.at !== undefined && h.complete && theirs.at >= h.end,
    // The previous request's bytes (for what its trailer section said).
    previous: i > 0 ? input.subarray(startOf(ours, i - 1), start).toString('latin1') : '',
  };
  const cls = LENIENT.find((c) => c.when(theirs.e, h, ctx));
  return cls ? { kind: 'lenient', id: cls.id } : fail(`we-accept-llhttp-rejects:${theirs.e}`, `we accept request ${i}, llhttp: ${theirs.e} (${theirs.why})`);
}

/**
 * Compares the two verdicts. Requests are compared in order up to the first that closes the
 * connection (our server stops reading there; llhttp refuses data after it) or switches protocol
 * (CONNECT/Upgrade: llhttp stops there).
 *
 * `oursDone` is our verdict for input + CRLFCRLF: llhttp rejects byte by byte, we reject when a
 * line is complete, so when llhttp has rejected a request we are still reading, the completed
 * input tells whether we would reject it too. The same is done for llhttp when we reject first.
 */
function compare(input, ours, theirs, oursDone, probePath) {
  // Fed byte by byte, our parser gave another verdict (ParserProbe.swift adds it as "split").
  if (ours.split) return fail('split-variance', `fed byte by byte we give ${JSON.stringify(ours.split)}`);
  for (let i = 0; ; i++) {
    const a = ours.r[i];
    const b = theirs.r[i];
    const upHead = b?.up ? b : !b && i === theirs.r.length ? theirs.upHead : undefined;
    if (upHead) {
      // CONNECT or Upgrade: node hands the connection to the application after this head, so
      // llhttp's view of what follows is not HTTP framing (RFC 9110 §9.3.6: a CONNECT request
      // has no content; §7.8: a server may ignore Upgrade and go on with HTTP, as we do).
      if (a) {
        for (const f of ['m', 't', 'v']) if (a[f] !== upHead[f]) return fail(`request-differs:${f}`, `request ${i}: ${f} differs`);
        return b && a.end === b.end ? { kind: 'same', id: 'protocol-switch' } : { kind: 'lenient', id: 'protocol-switch' };
      }
      if (ours.s !== 'error') return { kind: 'lenient', id: 'protocol-switch' };
      const c = stricter(input, ours, i);
      if (c.kind !== 'fail') return c;
      // Our error is allowed only if it lies past the head llhttp accepted: the head alone must
      // not make us fail.
      const h = headAt(input, startOf(ours, i));
      const headOnly = h.complete ? runOurs(probePath, [input.subarray(0, h.end)])[0] : undefined;
      return headOnly && !(headOnly.s === 'error' && !headOnly.r[i]) ? { kind: 'stricter', id: 'body-error-after-protocol-switch' } : c;
    }
    if (a && b) {
      for (const f of SAME_FIELDS) {
        if (a[f] !== b[f]) return fail(`request-differs:${f}`, `request ${i}: ${f} is ${JSON.stringify(a[f])} for us, ${JSON.stringify(b[f])} for llhttp`);
      }
      if (a.ka !== b.ka) {
        // Allowed when ours is what RFC 9112 §9.3 gives: "close" wins over "keep-alive" (llhttp
        // lets keep-alive win for HTTP/1.0), and options are OWS-trimmed tokens (llhttp does not
        // take "keep-alive<HTAB>" as keep-alive).
        if (a.ka === rfcKeepAlive(headAt(input, startOf(ours, i)))) {
          return a.ka ? { kind: 'lenient', id: 'connection-option-ows' } : { kind: 'stricter', id: 'connection-close-wins' };
        }
        return fail('keep-alive-differs', `request ${i}: keep-alive ${a.ka} for us, ${b.ka} for llhttp`);
      }
      if (!a.ka) return { kind: 'same', id: 'closed' };
      continue;
    }
    if (a && !b) {
      if (theirs.s === 'error') return lenient(input, ours, theirs, i);
      return fail('we-complete-llhttp-waits', `request ${i}: complete for us, llhttp ${theirs.s}`);
    }
    if (!a && b) {
      if (ours.s === 'error') return stricter(input, ours, i);
      return fail('llhttp-completes-we-wait', `request ${i}: complete for llhttp, we need more`);
    }
    // Neither has request i: compare how each ended.
    if (ours.s === 'error' && theirs.s === 'error') return { kind: 'same', id: 'both-error' };
    // (Pending byte counts are not compared: our chunked decoder consumes what it has decoded, so
    // bufferedByteCount is not "bytes since the last request"; the request ends already agree.)
    if (ours.s === 'needMore' && theirs.s === 'needMore') return { kind: 'same', id: i === 0 ? 'both-need-more' : 'both-ok' };
    if (ours.s === 'error') {
      const done = probe(Buffer.concat([input, COMPLETION]));
      if (!done.r[i] && done.s === 'error') return { kind: 'same', id: 'both-error-we-reject-first' };
      return stricter(input, ours, i);
    }
    if (theirs.s === 'error') {
      if (oursDone && !oursDone.r[i] && oursDone.s === 'error') return { kind: 'same', id: 'both-error-llhttp-rejects-first' };
      return lenient(input, oursDone ?? ours, theirs, i);
    }
    return fail('end-differs', `ended ${ours.s} for us, ${theirs.s} for llhttp`);
  }
}

/** Our verdicts for each input and for each input + COMPLETION: [{ ours, oursDone }]. */
function runOursBoth(probePath, inputs) {
  const all = runOurs(probePath, [...inputs, ...inputs.map((b) => Buffer.concat([b, COMPLETION]))]);
  return inputs.map((_, k) => ({ ours: all[k], oursDone: all[inputs.length + k] }));
}

/** Removes byte ranges while the input still fails with the same id. Bounded in rounds. */
function shrink(probePath, input, id) {
  let cur = input;
  let rounds = 0;
  for (let size = Math.max(1, cur.length >> 1); size >= 1 && rounds < 400; size = size >> 1) {
    for (let progress = true; progress && rounds < 400; rounds++) {
      progress = false;
      const cands = [];
      for (let p = 0; p + size <= cur.length; p += size) cands.push(Buffer.concat([cur.subarray(0, p), cur.subarray(p + size)]));
      if (!cands.length) break;
      const oursAll = runOursBoth(probePath, cands);
      for (let k = 0; k < cands.length; k++) {
        if (compare(cands[k], oursAll[k].ours, probe(cands[k]), oursAll[k].oursDone, probePath).id === id) {
          cur = cands[k];
          progress = true;
          break;
        }
      }
    }
    if (size === 1) break;
  }
  return cur;
}

const show = (b) => JSON.stringify(b.toString('latin1'));

/** The probe crashed on a batch: finds the first input that crashes it alone and prints it. */
function reportCrash(o, batch, first, error) {
  const crashes = (inputs) => {
    try {
      runOursBoth(o.probe, inputs);
      return false;
    } catch (e) {
      if (!e.crash) throw e;
      return true;
    }
  };
  // Smallest crashing prefix, by bisection; its last input is the culprit.
  let lo = 1;
  let hi = batch.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (crashes(batch.slice(0, mid).map((g) => g.bytes))) hi = mid;
    else lo = mid + 1;
  }
  const g = batch[lo - 1];
  console.log(`difffuzz: seed ${o.seed}: FAILURE probe-crash at input #${first + lo - 1} (mutations: ${g.tags.join(', ')})`);
  console.log(`    input:  ${show(g.bytes)}`);
  console.log(`    ${error.message.split('\n')[0]}`);
  try {
    runOursBoth(o.probe, [g.bytes]);
  } catch (e) {
    console.log(`    alone:  ${e.message}`);
  }
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const rng = new Rng(o.seed);
  if (o.input !== undefined) {
    // One input given as a JSON string literal (as failures print it): both verdicts and the class.
    const input = Buffer.from(JSON.parse(o.input), 'latin1');
    const { ours, oursDone } = runOursBoth(o.probe, [input])[0];
    const theirs = probe(input);
    console.log(`ours:   ${JSON.stringify(ours)}\nllhttp: ${JSON.stringify(theirs)}`);
    const c = compare(input, ours, theirs, oursDone, o.probe);
    console.log(`=> ${c.kind} ${c.id}${c.why ? `: ${c.why}` : ''}`);
    process.exitCode = c.kind === 'fail' ? 1 : 0;
    return;
  }
  if (o.emit) {
    const inputs = [];
    for (let i = 0; i < o.emit; i++) inputs.push(generate(rng).bytes);
    process.stdout.write(frame(inputs));
    return;
  }
  const started = Date.now();
  const deadline = started + o.seconds * 1000;
  const tally = { same: new Map(), stricter: new Map(), lenient: new Map(), fail: new Map() };
  const examples = new Map(); // id → first example
  let n = 0;
  let probeMs = 0;
  while (Date.now() < deadline && n < o.count) {
    const batch = [];
    for (let k = 0; k < o.batch && n + batch.length < o.count; k++) batch.push(generate(rng));
    const t0 = Date.now();
    let oursAll;
    try {
      oursAll = runOursBoth(o.probe, batch.map((g) => g.bytes));
    } catch (e) {
      if (!e.crash) throw e;
      reportCrash(o, batch, n, e);
      process.exitCode = 1;
      return;
    }
    probeMs += Date.now() - t0;
    batch.forEach((g, k) => {
      const theirs = probe(g.bytes);
      const c = compare(g.bytes, oursAll[k].ours, theirs, oursAll[k].oursDone, o.probe);
      const m = tally[c.kind];
      m.set(c.id, (m.get(c.id) ?? 0) + 1);
      if ((c.kind === 'fail' || c.kind === 'stricter' || c.kind === 'lenient') && !examples.has(c.id)) {
        examples.set(c.id, { index: n + k, input: g.bytes, tags: g.tags, ours: oursAll[k].ours, theirs, c });
      }
    });
    n += batch.length;
  }
  const secs = (Date.now() - started) / 1000;
  const sum = (m) => [...m.values()].reduce((x, y) => x + y, 0);
  const list = (m) => [...m.entries()].sort((x, y) => y[1] - x[1]).map(([k, v]) => `    ${String(v).padStart(8)}  ${k}`).join('\n');
  const rfc = new Map([...STRICTER, ...LENIENT].map((c) => [c.id, c.rfc]));

  console.log(`difffuzz: seed ${o.seed}: ${n} inputs in ${secs.toFixed(1)} s (${Math.round(n / secs)}/s; Swift probe ${(probeMs / 1000).toFixed(1)} s)`);
  console.log(`  same: ${sum(tally.same)}\n${list(tally.same)}`);
  console.log(`  we are stricter (allowed): ${sum(tally.stricter)}\n${list(tally.stricter)}`);
  console.log(`  llhttp is stricter, not framing or RFC-permitted (allowed): ${sum(tally.lenient)}\n${list(tally.lenient)}`);
  console.log(`  FAILURES: ${sum(tally.fail)}\n${list(tally.fail)}`);

  let shown = 0;
  for (const [id, ex] of examples) {
    const isFail = ex.c.kind === 'fail';
    if (!isFail && shown >= o.showAllowed) continue;
    if (!isFail) shown++;
    console.log(`\n--- ${isFail ? 'FAILURE' : 'allowed'} ${id}: seed ${o.seed} input #${ex.index} (mutations: ${ex.tags.join(', ') || 'none'})`);
    if (!isFail) console.log(`    rule: ${rfc.get(id) ?? ''}`);
    else console.log(`    ${ex.c.why}`);
    console.log(`    input:  ${show(ex.input)}`);
    console.log(`    ours:   ${JSON.stringify(ex.ours)}`);
    console.log(`    llhttp: ${JSON.stringify(ex.theirs)}`);
    if (isFail) {
      const small = shrink(o.probe, ex.input, id);
      const ours = runOurs(o.probe, [small])[0];
      console.log(`    shrunk: ${show(small)}`);
      console.log(`      ours:   ${JSON.stringify(ours)}`);
      console.log(`      llhttp: ${JSON.stringify(probe(small))}`);
    }
  }
  process.exitCode = sum(tally.fail) > 0 ? 1 : 0;
}

module.exports = { compare, runOurs, runOursBoth };
if (require.main === module) main();
