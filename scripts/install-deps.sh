#!/usr/bin/env bash
# Installs the Debian packages a task needs, or says exactly which are missing.
#   scripts/install-deps.sh run        # to build and run the server
#   scripts/install-deps.sh test       # to build and run the whole test suite (also axe-core, below)
#   scripts/install-deps.sh axe-path   # prints where the test task puts axe-core's axe.min.js
set -euo pipefail
task="${1:-run}"

# axe-core, the accessibility checker of the browser tests (Tests/LandingIOTests/BrowserAccessibilityTests.swift):
# the axe.min.js that PyPI's axe-selenium-python ships (3.0.0: axe-core 4.10.2). Only that file is
# used, so the wheel is downloaded with pip and unpacked into a cache folder: no Python environment
# is changed (PEP 668's "externally managed" does not apply) and any Python 3 with pip will do
# (3.0.0 declares Python >= 3.12, hence --python-version; the wheel is pure Python).
# The tests read the path from LANDING_AXE_JS (scripts/test.sh sets it) or find this folder.
axe_release=3.0.0
axe_dir="${XDG_CACHE_HOME:-$HOME/.cache}/oauth-landing/axe-selenium-python-$axe_release"
axe_js="$axe_dir/axe_selenium_python/node_modules/axe-core/axe.min.js"
if [ "$task" = "axe-path" ]; then
  echo "$axe_js"
  exit 0
fi

packages=(libssl-dev libsqlite3-dev libpq-dev pkg-config)
if [ "$task" = "test" ]; then
  # chromium + chromium-driver: the real-browser tests (Tests/LandingIOTests/Browser*.swift).
  # nodejs: its http parser is llhttp, the peer of the differential fuzzer (scripts/difffuzz.sh).
  # postgresql: the throw-away server the PostgreSQL tests run against (scripts/postgres-test-server.sh).
  # systemd: its offline tools check packaging/systemd/ (systemd-analyze verify and security,
  # systemd-sysusers, systemd-tmpfiles) and play socket activation (systemd-socket-activate); none
  # needs systemd running (Tests/LandingIOTests/SystemdUnitTests.swift, EndToEndSystemdTests.swift).
  # dpkg-dev, binutils, debootstrap: scripts/package.sh (dpkg-shlibdeps, strip) and
  # scripts/package-test.sh (a clean Debian 12 to install the package on).
  packages+=(openssl curl ca-certificates procps chromium chromium-driver nodejs postgresql systemd dpkg-dev binutils debootstrap)
  # pip, to fetch axe-core (above), unless a python3 with pip is already there (pyenv, say).
  if [ ! -s "$axe_js" ] && ! python3 -m pip --version >/dev/null 2>&1; then
    packages+=(python3-pip)
  fi
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -ne 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$task" = "test" ] && [ ! -s "$axe_js" ]; then
  echo "Installing axe-core (axe-selenium-python $axe_release from PyPI) into $axe_dir" >&2
  mkdir -p "$(dirname "$axe_dir")"
  staging="$(mktemp -d "$axe_dir.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  # why: a PIP_REQUIRE_VIRTUALENV from the caller's pip configuration would refuse to run.
  PIP_REQUIRE_VIRTUALENV=0 python3 -m pip download --disable-pip-version-check --no-input --quiet \
    --no-deps --only-binary=:all: --python-version 3.12 --dest "$staging/wheel" "axe-selenium-python==$axe_release"
  python3 -m zipfile -e "$staging"/wheel/axe_selenium_python-"$axe_release"-*.whl "$staging"
  rm -rf "$staging/wheel"
  staged_js="$staging/axe_selenium_python/node_modules/axe-core/axe.min.js"
  banner="$(head -n 1 "$staged_js" 2>/dev/null || true)"
  if [[ "$banner" != "/*! axe v4."* ]]; then
    echo "axe-selenium-python $axe_release has no axe-core 4 at axe_selenium_python/node_modules/axe-core/axe.min.js" >&2
    exit 1
  fi
  rm -rf "$axe_dir"
  mv "$staging" "$axe_dir"
fi
