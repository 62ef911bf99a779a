#!/usr/bin/env bash
# Runs the server on its embedded default: --dev (self-signed certificate in certs/, created on
# first start), listening on https://localhost:8443. Extra arguments are passed to `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh run
swift build -c release --product oauth-landing
exec .build/release/oauth-landing serve --dev "$@"
