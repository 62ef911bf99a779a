#!/usr/bin/env bash
# Installs the Debian packages a task needs, or says exactly which are missing.
#   scripts/install-deps.sh run    # to build and run the server
#   scripts/install-deps.sh test   # to build and run the whole test suite
set -euo pipefail
task="${1:-run}"
packages=(libssl-dev libsqlite3-dev libpq-dev pkg-config)
if [ "$task" = "test" ]; then
  # chromium + chromium-driver: the real-browser tests (Tests/LandingIOTests/Browser*.swift).
  # nodejs: its http parser is llhttp, the peer of the differential fuzzer (scripts/difffuzz.sh).
  # postgresql: the throw-away server the PostgreSQL tests run against (scripts/postgres-test-server.sh).
  packages+=(openssl curl ca-certificates procps chromium chromium-driver nodejs postgresql)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
