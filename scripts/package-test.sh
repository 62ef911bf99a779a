#!/usr/bin/env bash
# Installs the Debian package on a clean Debian 12 root file system and serves a landing page
# from it, the way an operator would:
#   scripts/package-test.sh [DEB]      # without DEB, scripts/package.sh builds one first
#
# 1. debootstrap --variant=minbase bookworm into a temporary directory, from the mirror this
#    machine's apt uses (DEBIAN_MIRROR overrides). The result is cached as a tarball in
#    ${XDG_CACHE_HOME:-~/.cache}/oauth-landing/, one per day, so reruns skip the download.
# 2. In a chroot (with /proc and /dev mounted): apt-get install ./oauth-landing_*.deb, which must
#    resolve Depends: from the mirror. No Swift toolchain may be there (no /opt/swift, no swift,
#    no libswift*). The user, the directories and their modes must be as postinst promises, and
#    the untouched config must be refused (no public URL yet).
# 3. Configure as the shipped config.json says: a certificate (oauth-landing dev-cert), an API
#    keys file, public-url and listen uncommented. check-config exits 0 and finds the templates in
#    /usr/share/oauth-landing/templates; serve runs as the user oauth-landing on 127.0.0.1:PORT;
#    curl gets /healthz 200, the landing page of a callback over TLS, and the recorded item from
#    /v1/items; SIGTERM makes it exit 0.
# 4. apt-get purge removes the configuration, the database and the user.
# Mounts, the server and the temporary directory are cleaned up on every exit path.
# Needs root (debootstrap, chroot, mount), curl and python3; installs debootstrap if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "package-test.sh: FAIL: $*" >&2
  exit 1
}
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, mount)"

started=$SECONDS
timings=()
step_started=$SECONDS
# Records how long the step since the previous call took.
step_done() {
  timings+=("$(printf '%-44s %4d s' "$1" $((SECONDS - step_started)))")
  step_started=$SECONDS
}
print_timings() {
  [ "${#timings[@]}" -eq 0 ] && return
  echo "Timings:" >&2
  printf '  %s\n' "${timings[@]}" >&2
  printf '  %-44s %4d s\n' "total" $((SECONDS - started)) >&2
}

for tool in curl python3; do
  command -v "$tool" >/dev/null || fail "needs $tool (apt-get install $tool)"
done
if ! command -v debootstrap >/dev/null; then
  echo "Installing: debootstrap (apt-get install debootstrap)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

deb="${1:-}"
if [ -z "$deb" ]; then
  deb="$(scripts/package.sh | tail -n 1)"
  step_done "scripts/package.sh"
fi
[ -f "$deb" ] || fail "no package at $deb"
deb="$(readlink -f "$deb")"

# The Debian mirror of this machine's apt (not the security archive, not third-party ones).
mirror="${DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
  mirror="$({ awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' /etc/apt/sources.list.d/*.sources 2>/dev/null
    sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' /etc/apt/sources.list 2>/dev/null; } |
    grep -E '/debian/?$' | head -n 1 || true)"
  mirror="${mirror:-http://deb.debian.org/debian}"
fi
arch="$(dpkg --print-architecture)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/oauth-landing"
tarball="$cache/debootstrap-bookworm-minbase-$arch-$(date +%Y%m%d).tar.gz"

work="$(mktemp -d "${TMPDIR:-/tmp}/oauth-landing-package-test.XXXXXX")"
rootfs="$work/rootfs"
server_pid=""
cleanup() {
  local status=$?
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  local unmounted=1
  for mount in "$rootfs/dev" "$rootfs/proc"; do
    if mountpoint -q "$mount" 2>/dev/null; then
      umount "$mount" || umount -l "$mount" || unmounted=0
    fi
  done
  if [ "$unmounted" = 1 ]; then
    # why: --one-file-system, so a mount that survived despite the checks is never descended into.
    rm -rf --one-file-system "$work"
  else
    echo "package-test.sh: could not unmount everything under $rootfs; left $work in place" >&2
  fi
  print_timings
  if [ "$status" -eq 0 ]; then echo "package-test.sh: PASS" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$rootfs"
if [ -s "$tarball" ]; then
  echo "Unpacking the cached Debian 12 root file system $tarball" >&2
  tar -xzf "$tarball" --numeric-owner -C "$rootfs"
  step_done "root file system from the cache"
else
  echo "debootstrap --variant=minbase bookworm $rootfs $mirror" >&2
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log" >&2; fail "debootstrap failed (log above)"; }
  step_done "debootstrap (cold)"
  mkdir -p "$cache"
  rm -f "$cache"/debootstrap-bookworm-minbase-"$arch"-*.tar.gz
  tar -czf "$tarball.partial" --numeric-owner -C "$rootfs" . && mv "$tarball.partial" "$tarball"
  step_done "cache the root file system"
fi

mount -t proc proc "$rootfs/proc"
mount --bind /dev "$rootfs/dev"
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
in_root() { chroot "$rootfs" "$@"; }

# Nothing of the Swift toolchain, before and after the install.
no_swift() {
  local found
  found="$(in_root sh -c 'ls -d /opt/swift 2>/dev/null; command -v swift swiftc 2>/dev/null; find / -xdev \( -name "libswift*" -o -name "libFoundation*.so*" \) 2>/dev/null' || true)"
  [ -z "$found" ] || fail "the Debian root has Swift toolchain files: $found"
}
no_swift

cp "$deb" "$rootfs/tmp/"
package_file="/tmp/$(basename "$deb")"
echo "Installing $(basename "$deb") with apt-get (Depends: from $mirror)" >&2
in_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$package_file" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "apt-get install failed (output above)"; }
# What apt pulled in for Depends:, and postinst's message.
sed -n '/NEW packages will be installed/,/newly installed/p' "$work/install.log" >&2
grep -F "oauth-landing is installed but not started" "$work/install.log" >&2 || fail "postinst did not say how to start the service"
step_done "apt-get install (Depends from the mirror)"
no_swift

# What postinst promises.
[ "$(in_root sh -c 'command -v oauth-landing')" = /usr/bin/oauth-landing ] || fail "oauth-landing is not on the PATH as /usr/bin/oauth-landing"
in_root getent passwd oauth-landing >&2 || fail "no user oauth-landing"
expect_stat() {
  local got
  got="$(in_root stat -c '%a %U:%G' "$1")"
  [ "$got" = "$2" ] || fail "$1 is $got, expected $2"
}
expect_stat /var/lib/oauth-landing "750 oauth-landing:oauth-landing"
expect_stat /etc/oauth-landing "750 root:oauth-landing"
expect_stat /etc/oauth-landing/config.json "640 root:oauth-landing"
in_root test -f /lib/systemd/system/oauth-landing.service || fail "no systemd unit"

# Installed, not configured: the shipped config is valid JSON of known options, and refused for want
# of a public URL (so an enabled service could not start half-configured).
untouched="$(in_root oauth-landing check-config --config /etc/oauth-landing/config.json 2>&1)" && fail "check-config accepted the untouched config: $untouched"
grep -q "serve needs --public-url" <<<"$untouched" || fail "the untouched config is refused for the wrong reason: $untouched"

# Configure it as the comments in config.json say.
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
in_root oauth-landing dev-cert --out /etc/oauth-landing >&2
in_root chgrp oauth-landing /etc/oauth-landing/server.pem /etc/oauth-landing/server-key.pem
in_root chmod 0640 /etc/oauth-landing/server.pem /etc/oauth-landing/server-key.pem
api_key="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
(umask 027 && echo "$api_key" >"$rootfs/etc/oauth-landing/api-keys")
in_root chgrp oauth-landing /etc/oauth-landing/api-keys
config="$rootfs/etc/oauth-landing/config.json"
sed -i -e "s|\"#public-url\": \"https://landing.example.com\"|\"public-url\": \"https://127.0.0.1:$port\"|" \
  -e "s|\"#listen\": \"0.0.0.0:443\"|\"listen\": \"127.0.0.1:$port\"|" "$config"
grep -q "\"public-url\": \"https://127.0.0.1:$port\"" "$config" && grep -q "\"listen\": \"127.0.0.1:$port\"" "$config" ||
  fail "config.json no longer has the \"#public-url\" and \"#listen\" lines this test uncomments"

checked="$(in_root oauth-landing check-config --config /etc/oauth-landing/config.json)" ||
  fail "check-config refused the configured config: $checked"
grep -qx "# templates: /usr/share/oauth-landing/templates" <<<"$checked" || fail "check-config did not find the installed templates: $checked"
grep -qx "store = sqlite:/var/lib/oauth-landing/landing.db" <<<"$checked" || fail "unexpected store: $checked"

# serve, as the unit runs it: the user oauth-landing, the shipped config.
log="$work/serve.log"
: >"$log"
uid="$(in_root id -u oauth-landing)"
gid="$(in_root id -g oauth-landing)"
# why: numeric ids, so chroot cannot resolve the names against the host's /etc/passwd.
chroot --userspec="$uid:$gid" --groups="$gid" "$rootfs" /usr/bin/oauth-landing serve --config /etc/oauth-landing/config.json >"$log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q '"msg":"listening"' "$log" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; fail "serve exited at start (log above)"; }
  sleep 0.2
done
grep -q '"msg":"listening"' "$log" || { cat "$log" >&2; fail "serve did not report listening within 20 s"; }
grep -q '"templates":"/usr/share/oauth-landing/templates"' "$log" || { cat "$log" >&2; fail "serve did not use the installed templates"; }

base="https://127.0.0.1:$port"
healthz="$(curl -sk --max-time 10 -o /dev/null -w '%{http_code}' "$base/healthz")"
[ "$healthz" = 200 ] || fail "/healthz answered $healthz"
page="$(curl -sk --max-time 10 -w '\n%{http_code}' "$base/oauth/callback?itemId=package-test-item")"
[ "$(tail -n 1 <<<"$page")" = 200 ] || fail "the callback answered $(tail -n 1 <<<"$page")"
grep -q '<main id="landing"' <<<"$page" || fail "the callback did not return the landing page: $(head -c 400 <<<"$page")"
grep -q 'data-status="completed"' <<<"$page" || fail "the landing page does not say completed: $(head -c 400 <<<"$page")"
echo "Landing page over TLS: $(grep -o '<title>[^<]*</title>' <<<"$page")" >&2
item="$(curl -sk --max-time 10 -H "Authorization: Bearer $api_key" "$base/v1/items/package-test-item")"
grep -q '"status":"completed"' <<<"$item" || fail "/v1/items did not return the recorded item: $item"
[ "$(in_root stat -c %U:%G /var/lib/oauth-landing/landing.db)" = oauth-landing:oauth-landing ] || fail "the database is not owned by oauth-landing"

kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
[ "$status" -eq 0 ] || { cat "$log" >&2; fail "serve exited $status after SIGTERM"; }
grep -q '"msg":"stopped"' "$log" || fail "serve did not log stopped"
step_done "configure, check-config, serve, curl, stop"

# purge: configuration, database and user are gone.
in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q oauth-landing >"$work/purge.log" 2>&1 ||
  { cat "$work/purge.log" >&2; fail "apt-get purge failed"; }
for path in /usr/bin/oauth-landing /etc/oauth-landing /var/lib/oauth-landing /usr/share/oauth-landing; do
  in_root test ! -e "$path" || fail "$path is still there after purge"
done
in_root getent passwd oauth-landing >/dev/null && fail "the user oauth-landing is still there after purge"
in_root getent group oauth-landing >/dev/null && fail "the group oauth-landing is still there after purge"
step_done "apt-get purge"
echo "Installed, configured, served and purged $(basename "$deb") on Debian 12 (minbase, no Swift toolchain)" >&2
