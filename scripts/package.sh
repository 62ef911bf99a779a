#!/usr/bin/env bash
# Builds the Debian package of oauth-landing:
#   scripts/package.sh [OUTDIR]     # default OUTDIR: .build-release/deb; the .deb's path is the last line
#
# 1. A release binary with the Swift runtime and Foundation linked in (--static-swift-stdlib), built
#    in .build-release (debug builds in .build are left alone), stripped.
# 2. ldd must show only system libraries: the build fails, printing ldd, if anything comes from the
#    Swift toolchain (libswift*, libFoundation*, libdispatch, libBlocksRuntime) or is not found.
# 3. Depends: is computed by dpkg-shlibdeps from the libraries actually linked (libc6, libssl3,
#    libsqlite3-0, libpq5, ...), with the lowest versions their symbols need.
# 4. oauth-landing_VERSION_ARCH.deb (VERSION from Sources/oauth-landing/main.swift) with dpkg-deb:
#      /usr/bin/oauth-landing
#      /usr/share/oauth-landing/templates/      (found there through ../share from /usr/bin)
#      /usr/share/doc/oauth-landing/            README.md, docs/*.md, copyright
#      /lib/systemd/system/oauth-landing.service (and .socket, if packaging/systemd has one)
#      /usr/lib/sysusers.d/oauth-landing.conf, /usr/lib/tmpfiles.d/oauth-landing.conf
#      /etc/oauth-landing/config.json           a conffile that explains each setting
#    with packaging/debian/{postinst,prerm,postrm}: the user and directories are created on
#    install; the service is not enabled or started until configured.
# 5. The .deb is checked with dpkg-deb --info and --contents before its path is printed.
# scripts/package-test.sh installs it on a clean Debian 12 and serves a landing page from it.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
outdir="${1:-$root/.build-release/deb}"
build_path="$root/.build-release"
package=oauth-landing

fail() {
  echo "package.sh: $*" >&2
  exit 1
}

for tool in swift dpkg-deb dpkg-shlibdeps strip ldd; do
  command -v "$tool" >/dev/null || fail "needs $tool (dpkg-deb: dpkg; dpkg-shlibdeps: dpkg-dev; strip: binutils; ldd: libc-bin)"
done
scripts/install-deps.sh run

version="$(sed -n 's/^let version = "\([^"]*\)"$/\1/p' Sources/oauth-landing/main.swift)"
[[ "$version" =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || fail "no usable 'let version = \"X.Y.Z\"' in Sources/oauth-landing/main.swift (found '$version')"
arch="$(dpkg --print-architecture)"

started=$SECONDS
echo "Building the release binary (swift build -c release --static-swift-stdlib, in $build_path)" >&2
swift build -c release --static-swift-stdlib --product "$package" --build-path "$build_path" >&2
binary="$(swift build -c release --static-swift-stdlib --build-path "$build_path" --show-bin-path)/$package"
[ -x "$binary" ] || fail "the build left no $binary"
echo "Built in $((SECONDS - started)) s" >&2

stage="$(mktemp -d "${TMPDIR:-/tmp}/oauth-landing-package.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
tree="$stage/$package"
mkdir -p "$tree/DEBIAN"

install -D -m 0755 "$binary" "$tree/usr/bin/$package"
strip "$tree/usr/bin/$package"

# Only system libraries, nothing from the Swift toolchain (which the target machine does not have).
linked="$(ldd "$tree/usr/bin/$package")"
echo "ldd /usr/bin/$package:" >&2
echo "$linked" >&2
toolchain_lib="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/lib"
if grep -E -e 'not found|libswift|libFoundation|libdispatch|libBlocksRuntime|lib_FoundationICU' -e "$toolchain_lib" <<<"$linked" >&2; then
  fail "the binary links the libraries above dynamically; only system libraries may be (is --static-swift-stdlib in effect?)"
fi

# Depends: dpkg-shlibdeps maps each linked library to its package and the version its symbols
# need. It reads debian/control, hence the throw-away one.
mkdir -p "$stage/shlibdeps/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$package" "$package" >"$stage/shlibdeps/debian/control"
depends="$(cd "$stage/shlibdeps" && dpkg-shlibdeps -O "$tree/usr/bin/$package" | sed -n 's/^shlibs:Depends=//p')"
[ -n "$depends" ] || fail "dpkg-shlibdeps found no dependencies"

install -D -m 0644 -t "$tree/usr/share/$package/templates" templates/*.html
install -D -m 0644 -t "$tree/usr/share/$package/templates/strings" templates/strings/*.json
install -D -m 0644 -t "$tree/usr/share/doc/$package" README.md docs/*.md packaging/debian/copyright

systemd=packaging/systemd
install -D -m 0644 "$systemd/$package.service" "$tree/lib/systemd/system/$package.service"
if [ -f "$systemd/$package.socket" ]; then
  install -D -m 0644 "$systemd/$package.socket" "$tree/lib/systemd/system/$package.socket"
fi
install -D -m 0644 "$systemd/$package.sysusers" "$tree/usr/lib/sysusers.d/$package.conf"
install -D -m 0644 "$systemd/$package.tmpfiles" "$tree/usr/lib/tmpfiles.d/$package.conf"

install -D -m 0640 packaging/debian/config.json "$tree/etc/$package/config.json"
echo "/etc/$package/config.json" >"$tree/DEBIAN/conffiles"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$tree/DEBIAN/"

installed_size="$(du -sk --exclude=DEBIAN "$tree" | cut -f1)"
cat >"$tree/DEBIAN/control" <<EOF
Package: $package
Version: $version
Architecture: $arch
Maintainer: oauth-landing maintainers <maintainers@users.noreply.r-seed-7f68fc54.example>
Installed-Size: $installed_size
Depends: $depends
Section: web
Priority: optional
Description: HTTPS landing server for OAuth redirects
 The page a user's browser lands on after authorizing an open-finance
 aggregator (Pluggy) at their bank: it terminates TLS itself, records the
 outcome and hands it to the app through a small authenticated API.
 The Swift runtime is linked in; no Swift toolchain is needed.
EOF
(cd "$tree" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
find "$tree" -type d -exec chmod 0755 {} +

mkdir -p "$outdir"
deb="$(cd "$outdir" && pwd)/${package}_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$tree" "$deb" >&2

# The package as built: its control fields and every path the brief promises, owned by root.
info="$(dpkg-deb --info "$deb")"
contents="$(dpkg-deb --contents "$deb")"
for field in "Package: $package" "Version: $version" "Architecture: $arch" "Depends: $depends"; do
  grep -qF " $field" <<<"$info" || fail "dpkg-deb --info lacks '$field'"
done
for path in ./usr/bin/$package ./usr/share/$package/templates/landing.html ./usr/share/$package/templates/strings/en.json \
  ./usr/share/doc/$package/README.md ./usr/share/doc/$package/copyright ./lib/systemd/system/$package.service \
  ./usr/lib/sysusers.d/$package.conf ./usr/lib/tmpfiles.d/$package.conf ./etc/$package/config.json; do
  grep -qE " $path\$" <<<"$contents" || fail "the package lacks $path"
done
grep -qE '^-rwxr-xr-x root/root .* \./usr/bin/oauth-landing$' <<<"$contents" || fail "/usr/bin/$package is not 0755 root:root"
grep -qE '^-rw-r----- root/root .* \./etc/oauth-landing/config\.json$' <<<"$contents" || fail "config.json is not 0640"
if grep -vE '^[-dl][rwx-]{9} root/root ' <<<"$contents" >&2; then fail "entries above are not owned by root"; fi
[ "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)" = "/etc/$package/config.json" ] || fail "conffiles is wrong"

echo "$info" >&2
echo "$contents" >&2
echo "Built $deb ($(du -h "$deb" | cut -f1), $((SECONDS - started)) s in all)" >&2
echo "$deb"
