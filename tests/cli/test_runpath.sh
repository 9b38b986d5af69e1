#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Where cipher-tool's libraries come from, judged by the dynamic linker: a
# library planted in the directory cipher-tool is started from is never
# loaded (an empty runpath entry would mean "the current directory"), and
# the loader looks for libraries along absolute paths only.
source "$(dirname "$0")/lib.sh"
command -v cc >/dev/null || { echo "skipped: no C compiler to build the planted library"; exit 77; }
case "$CT" in */*) CT=$(realpath "$CT") ;; esac

# The runpath as the loader reads it: no empty entry.
rp=$(objdump -p "$CT" | awk '$1 == "RUNPATH" || $1 == "RPATH" { print $2 }')
case ":$rp:" in *::*) [ -z "$rp" ] || fail "runpath with an empty entry: '$rp'" ;; esac
ok

# A library named as every dependency the system provides, which leaves a
# mark when it is loaded.
mkdir "$TMP/cwd"
cat >"$TMP/plant.c" <<'EOF'
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void planted(void)
{
    int fd = open("planted-library-loaded", O_CREAT | O_WRONLY, 0600);
    if (fd >= 0)
        close(fd);
}
EOF
cc -shared -fPIC -o "$TMP/plant.so" "$TMP/plant.c" || fail "cannot build the planted library"
needed=$(ldd "$CT" | awk '$2 == "=>" && $1 != "libvault.so.0" { print $1 }')
[ -n "$needed" ] || fail "ldd names no library of $CT"
for lib in $needed; do cp "$TMP/plant.so" "$TMP/cwd/$lib"; done
ok

run 0 env -C "$TMP/cwd" "$CT" --version
contains "$out" "cipher-tool"
[ ! -e "$TMP/cwd/planted-library-loaded" ] || fail "a library from the current directory was loaded"
ok

# The loader's own account of the paths it tried: all absolute.
LD_DEBUG=libs env -C "$TMP/cwd" "$CT" --version >/dev/null 2>"$TMP/ld.log" || fail "cipher-tool --version failed"
grep -q 'trying file=' "$TMP/ld.log" || grep -q 'find library=' "$TMP/ld.log" ||
    fail "LD_DEBUG=libs printed nothing"
if grep -E 'trying file=[^/]' "$TMP/ld.log" >"$TMP/rel.log"; then
    fail "the loader tried relative paths: $(head -3 "$TMP/rel.log")"
fi
ok

echo "runpath: $passed checks passed"
