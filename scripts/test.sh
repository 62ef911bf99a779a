#!/usr/bin/env bash
# Runs the whole test suite: installs what it needs, builds, runs every Swift test (unit, TLS,
# in-process connection harness, llhttp's request corpus, end-to-end with curl, openssl s_client and
# Chromium), fuzzes the HTTP parser for 60 seconds, then runs the differential fuzzer against
# llhttp (node's parser) for about 20 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
swift build --build-tests
swift test --skip-build
bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
bash scripts/difffuzz.sh --brief
