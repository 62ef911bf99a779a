#!/usr/bin/env bash
# Runs the whole test suite: installs what it needs, builds, runs every Swift test (unit, TLS,
# in-process connection harness, llhttp's request corpus, end-to-end with curl, openssl s_client and
# Chromium), fuzzes the HTTP parser for 60 seconds, then runs the differential fuzzer against
# llhttp (node's parser) for about 20 seconds, then builds the Debian package and installs and serves
# it on a clean Debian 12 root filesystem (scripts/package-test.sh: as root; about 4 minutes, most
# of it the release build; LANDING_SKIP_PACKAGE_TEST=1 skips it). The Swift tests run against a throw-away PostgreSQL
# server (scripts/postgres-test-server.sh) whose URL is in LANDING_TEST_POSTGRES_URL; it is stopped
# and its directory removed when this script exits, also when a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh test
# axe-core for the accessibility tests, where install-deps.sh put it (on CI a missing one fails them).
LANDING_AXE_JS="$(scripts/install-deps.sh axe-path)"
export LANDING_AXE_JS
swift build --build-tests
postgres_dir="$(mktemp -d "${TMPDIR:-/tmp}/landing-postgres.XXXXXX")"
trap 'scripts/postgres-test-server.sh stop "$postgres_dir" || true' EXIT
LANDING_TEST_POSTGRES_URL="$(scripts/postgres-test-server.sh start "$postgres_dir")"
export LANDING_TEST_POSTGRES_URL
swift test --skip-build
bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
bash scripts/difffuzz.sh --brief
if [ "${LANDING_SKIP_PACKAGE_TEST:-0}" = 1 ]; then
  echo "test.sh: package test skipped (LANDING_SKIP_PACKAGE_TEST=1)" >&2
elif [ "$(id -u)" -ne 0 ]; then
  # why: debootstrap, chroot and mount need root; CI runs as root, so there it always runs.
  [ "${CI:-}" = true ] && { echo "test.sh: the package test needs root on CI" >&2; exit 1; }
  echo "test.sh: package test skipped (needs root: sudo scripts/package-test.sh)" >&2
else
  bash scripts/package-test.sh
fi
