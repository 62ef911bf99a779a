#!/usr/bin/env bash
# Runs the whole test suite: installs what it needs, builds, runs every Swift test (unit, TLS,
# end-to-end with curl and openssl s_client), then fuzzes the HTTP parser for 60 seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
swift build --build-tests
swift test --skip-build
bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
