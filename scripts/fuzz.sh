#!/usr/bin/env bash
# Fuzzes HTTPRequestParser with libFuzzer (scripts/fuzz/ParserFuzz.swift) for SECONDS.
#
#   bash scripts/fuzz.sh [SECONDS]     default 60
#
# Builds every LandingCore source plus the fuzz entry into .build-fuzz/parser-fuzz with
# `swiftc -sanitize=fuzzer,address`, copies the seed corpus (scripts/fuzz/corpus/) into
# .build-fuzz/corpus/ (which keeps what the fuzzer finds between runs), and runs. Crash inputs land
# in .build-fuzz/ (crash-*, leak-*, timeout-*). Exits non-zero when libFuzzer finds a crash.
set -euo pipefail

seconds="${1:-60}"
case "$seconds" in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

out=.build-fuzz
corpus="$out/corpus"
mkdir -p "$out" "$corpus"

sources=()
while IFS= read -r -d '' file; do
    sources+=("$file")
done < <(find Sources/LandingCore -name '*.swift' -print0 | sort -z)

echo "fuzz: compiling ${#sources[@]} LandingCore sources + scripts/fuzz/ParserFuzz.swift" >&2
swiftc -sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 -use-ld=lld \
    -module-name ParserFuzz \
    "${sources[@]}" scripts/fuzz/ParserFuzz.swift \
    -o "$out/parser-fuzz"

cp scripts/fuzz/corpus/* "$corpus/"

echo "fuzz: running for ${seconds}s" >&2
# why: the Swift runtime's own crash backtracer trips AddressSanitizer and buries the fatalError
# message; libFuzzer prints the stack itself.
export SWIFT_BACKTRACE=enable=no
"$out/parser-fuzz" "$corpus" \
    -max_total_time="$seconds" -max_len=20000 \
    -artifact_prefix="$out/" -print_final_stats=1
