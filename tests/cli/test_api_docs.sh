#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The API reference: Doxygen reads the public headers with warnings as
# errors (Doxyfile), and every function the shared library exports is in
# its index and in libvault(3), which man renders without warnings.
source "$(dirname "$0")/lib.sh"
SRC=${VAULT_SOURCE:?}
LIB=${VAULT_BUILD:?}/vault/libvault.so
command -v doxygen >/dev/null || { echo "skipped: doxygen is not installed (Debian package doxygen)"; exit 77; }

exports=$(nm -D --defined-only "$LIB" | awk '$2 == "T" && $3 ~ /^vault_/ {print $3}' | sort)
[ "$(printf '%s\n' "$exports" | wc -l)" -ge 80 ] || fail "too few exports read from $LIB: $exports"; ok

# The reference builds without one warning.
mkdir "$TMP/api"
run 0 env -C "$SRC" VAULT_API_OUT="$TMP/api" doxygen Doxyfile
equals "$err" ""
index=$(cat "$TMP"/api/html/globals_func*.html)
for f in $exports; do
    case "$index" in *"<li>$f()"*) ok ;; *) fail "$f is not in the API reference" ;; esac
done

# A function without its comment fails the build (the setting is in force).
cp -r "$SRC/include" "$TMP/inc"
printf '#include "common.h"\nVAULT_EXTERN(int) vault_undocumented(int x);\n' > "$TMP/inc/vault/extra.h"
sed -i '1s|^|/** @file */\n|' "$TMP/inc/vault/extra.h"
mkdir "$TMP/api2"
set +e
( cat "$SRC/Doxyfile"; echo "INPUT = $TMP/inc/vault"; echo "STRIP_FROM_PATH = $TMP/inc" ) |
    (cd "$SRC" && VAULT_API_OUT="$TMP/api2" doxygen - >"$TMP/dox.out" 2>"$TMP/dox.err")
status=$?
set -e
[ "$status" != 0 ] || fail "doxygen accepted an undocumented function"; ok
contains "$(cat "$TMP/dox.err")" "vault_undocumented"

# So does a documented function with an undocumented parameter or return
# value (WARN_NO_PARAMDOC).
for decl in '/** Half documented. @return 0. */ VAULT_EXTERN(int) vault_half_documented(int x);' \
            '/** Half documented. @param x a number. */ VAULT_EXTERN(int) vault_half_documented(int x);'; do
    cp -r "$SRC/include" "$TMP/inc3"
    printf '/** @file */\n#include "common.h"\n%s\n' "$decl" > "$TMP/inc3/vault/extra.h"
    mkdir "$TMP/api3"
    set +e
    ( cat "$SRC/Doxyfile"; echo "INPUT = $TMP/inc3/vault"; echo "STRIP_FROM_PATH = $TMP/inc3" ) |
        (cd "$SRC" && VAULT_API_OUT="$TMP/api3" doxygen - >"$TMP/dox3.out" 2>"$TMP/dox3.err")
    status=$?
    set -e
    [ "$status" != 0 ] || fail "doxygen accepted: $decl"; ok
    contains "$(cat "$TMP/dox3.err")" "vault_half_documented"
    rm -rf "$TMP/inc3" "$TMP/api3"
done

# libvault(3): every exported function, and groff has nothing to say.
page=$SRC/docs/libvault.3
for f in $exports; do
    grep -q "\\b$f\\b" "$page" || fail "libvault(3) does not mention $f"; ok
done
if command -v groff >/dev/null; then
    warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    [ -z "$warnings" ] || fail "groff warns: $warnings"; ok
fi
done_tests
