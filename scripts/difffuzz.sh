#!/usr/bin/env bash
# Differential fuzzer: feeds the same generated near-valid HTTP/1.1 request streams to our
# HTTPRequestParser and to llhttp (node's parser, strict mode) and fails on any framing difference
# that is not one of the allowed, RFC-backed classes (scripts/difffuzz/classes.js).
#
#   bash scripts/difffuzz.sh [SECONDS] [--seed N] [--head]   default 300 s, random seed (printed)
#   bash scripts/difffuzz.sh --brief                          for scripts/test.sh: 200,000 inputs
#                                                             of seed 1, then 200,000 of the seed
#                                                             named by the commit (about 20 s)
#
# --head builds the probe from the committed LandingCore (git archive HEAD) instead of the working
# tree, for when the tree is mid-edit and does not compile.
#
# Builds scripts/difffuzz/ParserProbe.swift with every LandingCore source (a snapshot copied into
# .build-difffuzz/src/, so concurrent edits cannot break the compile) into
# .build-difffuzz/parser-probe with `swiftc -O`; rebuilds only when a source changed. Then runs
# scripts/difffuzz/driver.js under node. Needs node (Debian package nodejs; installed with apt-get
# when run as root) and swiftc. Exits 1 when a difference is not explained.
set -euo pipefail

usage() { echo "usage: $0 [SECONDS] [--seed N] [--head] | --brief" >&2; exit 2; }

seconds=300
seed=""
brief=0
from_head=0
while [ $# -gt 0 ]; do
    case "$1" in
        --seed) [ $# -ge 2 ] || usage; seed="$2"; shift 2 ;;
        --brief) brief=1; shift ;;
        --head) from_head=1; shift ;;
        '' | *[!0-9]*) usage ;;
        *) seconds="$1"; shift ;;
    esac
done
case "$seed" in *[!0-9]*) usage ;; esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v node >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "difffuzz: installing nodejs" >&2
        apt-get install -y nodejs >/dev/null || { apt-get update >/dev/null && apt-get install -y nodejs >/dev/null; }
    else
        echo "difffuzz: missing: node (Debian package 'nodejs', node >= 20): apt-get install -y nodejs" >&2
        exit 2
    fi
fi
if ! command -v swiftc >/dev/null 2>&1; then
    echo "difffuzz: missing: swiftc (the Swift 6 toolchain)" >&2
    exit 2
fi

out=.build-difffuzz
probe="$out/parser-probe"
mkdir -p "$out"

# Snapshot the sources, then rebuild only if the snapshot differs from the last build's.
rm -rf "$out/src.new"
mkdir -p "$out/src.new"
if [ "$from_head" = 1 ]; then
    git archive HEAD Sources/LandingCore | tar -x -C "$out/src.new"
else
    mkdir -p "$out/src.new/Sources"
    cp -R Sources/LandingCore "$out/src.new/Sources/"
fi
cp scripts/difffuzz/ParserProbe.swift "$out/src.new/"
stamp="$(cd "$out/src.new" && find . -name '*.swift' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)"
if [ ! -x "$probe" ] || [ "$(cat "$out/parser-probe.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$out/src"
    mv "$out/src.new" "$out/src"
    sources=()
    while IFS= read -r -d '' file; do
        sources+=("$file")
    done < <(find "$out/src/Sources/LandingCore" -name '*.swift' -print0 | sort -z)
    echo "difffuzz: compiling ${#sources[@]} LandingCore sources + ParserProbe.swift$([ "$from_head" = 1 ] && echo ' (from HEAD)')" >&2
    rm -f "$probe" "$out/parser-probe.stamp"
    swiftc -parse-as-library -O -swift-version 6 -module-name ParserProbe \
        "${sources[@]}" "$out/src/ParserProbe.swift" -o "$probe"
    echo "$stamp" >"$out/parser-probe.stamp"
else
    rm -rf "$out/src.new"
fi

# why: NODE_OPTIONS could carry --insecure-http-parser (lenient llhttp); the probe must be strict.
# --no-deprecation silences the warning process.binding() prints.
run() {
    env -u NODE_OPTIONS node --no-deprecation scripts/difffuzz/driver.js --probe "$probe" "$@"
}

random_seed() { od -An -N4 -tu4 /dev/urandom | tr -d ' '; }

# The seed of the commit being tested: the first 8 hex digits of HEAD as a number.
# why: the test command must give one verdict per commit (a random seed once failed CI on a
# commit that had passed it locally), yet each commit explores inputs the last did not.
commit_seed() {
    local head
    head="$(git rev-parse HEAD 2>/dev/null)" || { echo 2; return; }
    echo $((16#${head:0:8}))
}

if [ "$brief" = 1 ]; then
    # why: a count, not a time, so a faster or slower machine runs exactly the same inputs; the
    # 120 s cap only guards against a machine so slow it would stall the test command.
    status=0
    run --seconds 120 --count 200000 --seed 1 || status=1
    seed="${LANDING_DIFFFUZZ_SEED:-$(commit_seed)}"
    echo "difffuzz: seed $seed of this commit (reproduce: bash scripts/difffuzz.sh --brief, or 120 --seed $seed)" >&2
    run --seconds 120 --count 200000 --seed "$seed" || status=1
    exit "$status"
fi

[ -n "$seed" ] || seed="$(random_seed)"
echo "difffuzz: ${seconds}s, seed $seed (reproduce: bash scripts/difffuzz.sh $seconds --seed $seed)" >&2
run --seconds "$seconds" --seed "$seed" --show-allowed 100
