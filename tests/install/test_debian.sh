#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The Debian packages: dpkg-buildpackage builds libvault0, libvault-dev and
# cipher-tool from this tree; lintian finds no error; dpkg installs them into
# an empty root of their own; the installed cipher-tool seals and opens a value
# (openssl makes the key); the symbols file lists exactly what the library
# exports; apt finds every dependency the packages declare.
set -euo pipefail
src=${VAULT_SOURCE:?}
build=${VAULT_BUILD:?}
if grep -q '^VAULT_SANITIZE:BOOL=ON' "$build/CMakeCache.txt"; then
    echo "skipped: packaging is judged in the plain build, not under the sanitizers"
    exit 0
fi
for t in dpkg-buildpackage dh lintian fakeroot; do
    command -v "$t" >/dev/null || { echo "FAIL: $t is missing (scripts/deps.sh installs it)"; exit 1; }
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
passed=0; ok() { passed=$((passed + 1)); }

mkdir "$tmp/src"
(cd "$src" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$tmp/src")
(cd "$tmp/src" && dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1) ||
    { tail -40 "$tmp/build.log"; fail "dpkg-buildpackage failed"; }
for p in libvault0 libvault-dev cipher-tool; do
    ls "$tmp/${p}_"*.deb >/dev/null || fail "no $p package"; ok
done
debs=$(ls "$tmp"/libvault0_*.deb "$tmp"/libvault-dev_*.deb "$tmp"/cipher-tool_*.deb)

lintian --fail-on error "$tmp"/*.changes >"$tmp/lintian.log" 2>&1 ||
    { cat "$tmp/lintian.log"; fail "lintian reports errors"; }
ok

# dpkg into a root of its own: nothing on this machine changes.
root=$tmp/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
# shellcheck disable=SC2086
dpkg --root="$root" --force-depends --force-script-chrootless --log=/dev/null -i $debs >"$tmp/dpkg.log" 2>&1 ||
    { cat "$tmp/dpkg.log"; fail "dpkg -i failed"; }
status=$(dpkg --root="$root" -l libvault0 libvault-dev cipher-tool | awk '/^ii/ {print $2}' | tr '\n' ' ')
[ "$status" = "cipher-tool libvault-dev:amd64 libvault0:amd64 " ] ||
    [ "$status" = "cipher-tool libvault-dev libvault0 " ] || fail "installed: '$status'"
ok
libdir=$(dirname "$(find "$root/usr/lib" -name 'libvault.so.0' | head -1)")
ct=$root/usr/bin/cipher-tool
[ -x "$ct" ] || fail "no cipher-tool in the package"; ok
# No rpath: the installed binary finds the installed library.
objdump -p "$ct" | grep -qE 'RPATH|RUNPATH' && fail "cipher-tool carries an rpath"; ok
ver=$(LD_LIBRARY_PATH=$libdir "$ct" --version)
[ "$ver" = "cipher-tool $(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)" ] || fail "version: $ver"; ok
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -subj /CN=deb \
    -days 2 2>/dev/null
sealed=$(printf 's3cret' | LD_LIBRARY_PATH=$libdir "$ct" encrypt --cert "$tmp/cert.pem" -n deb.pw)
printf '\n' > "$tmp/pw"; chmod 600 "$tmp/pw"
opened=$(printf '%s' "$sealed" | LD_LIBRARY_PATH=$libdir "$ct" decrypt -k "$tmp/key.pem" -n deb.pw \
    --password-file "$tmp/pw")
[ "$opened" = "s3cret" ] || fail "the packaged cipher-tool did not round-trip a value"; ok
for f in usr/share/man/man1/cipher-tool.1.gz usr/share/bash-completion/completions/cipher-tool \
         usr/include/vault.h; do
    [ -s "$root/$f" ] || fail "not installed: $f"; ok
done
[ -n "$(find "$root/usr/lib" -name vault.pc)" ] || fail "no vault.pc"; ok

# The symbols file and the library's exports are the same set.
nm -D --defined-only "$libdir/libvault.so.0" | awk '{print $3}' | sort > "$tmp/exported"
sed -n 's/^ \([a-z_0-9]*\)@Base .*/\1/p' "$src/debian/libvault0.symbols" | sort > "$tmp/listed"
diff "$tmp/listed" "$tmp/exported" >"$tmp/symdiff" ||
    { cat "$tmp/symdiff"; fail "debian/libvault0.symbols differs from the exports (> exported only, < listed only)"; }
ok

# Every declared dependency exists for this system.
# shellcheck disable=SC2086
apt-get -s -qq install $debs >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log"; fail "apt cannot satisfy the packages"; }
ok
echo "$passed passed, 0 failed"
