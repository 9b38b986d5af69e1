#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Exact expected output of cipher-tool: each case in tests/cli/exact/ is
# NAME.cmd (the arguments, one a line) with NAME.exit, NAME.stdout.exact
# (absent: stdout must be empty) and NAME.stderr.exact or NAME.stderr.glob
# (absent: stderr must be empty). README.md there says more.
#
#   tests/cli/test_exact_output.sh [CIPHER_TOOL]
#   VAULT_UPDATE_EXACT=1 tests/cli/test_exact_output.sh BUILD/cipher-tool
#       rewrites the expected files from the current output (review the diff).
[ $# -ge 1 ] && CIPHER_TOOL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
: "${VAULT_SHARED:=$(cd "$HERE/../../.." && pwd)/shared}"
export CIPHER_TOOL VAULT_SHARED
. "$HERE/lib.sh"
# A build directory (BUILD/cipher-tool/cipher-tool) names the program too.
while [ -d "$CT" ]; do CT=$CT/cipher-tool; done
[ -f "$CT" ] && [ -x "$CT" ] || fail "no program at $CT"
CT=$(cd "$(dirname "$CT")" && pwd)/$(basename "$CT")
SH=$(cd "$SH" && pwd)
EXACT=$HERE/exact
UPDATE=${VAULT_UPDATE_EXACT:-0}
failed=0

# subst LINE: the placeholders of a .cmd line.
subst() {
    local s=$1
    s=${s//@TMP@/$CASE_TMP}
    s=${s//@SHARED@/$SH}
    s=${s//@EXACT@/$EXACT}
    printf '%s' "$s"
}

# unsubst FILE: the placeholders back in an output, so that paths compare.
unsubst() {
    sed -e "s|$CASE_TMP|@TMP@|g" -e "s|$SH|@SHARED@|g" -e "s|$EXACT|@EXACT@|g" "$1"
}

# glob_match GOT GLOB: every line of GOT matches the shell glob on the same
# line of GLOB, and they have as many lines.
glob_match() {
    local -a got pat
    local i
    mapfile -t got <"$1"
    mapfile -t pat <"$2"
    [ "${#got[@]}" = "${#pat[@]}" ] || return 1
    for i in "${!pat[@]}"; do
        # shellcheck disable=SC2053
        [[ ${got[$i]} == ${pat[$i]} ]] || return 1
    done
}

case_fail() {
    echo "FAIL: $name: $*" >&2
    failed=$((failed + 1))
}

# compare NAME STREAM GOT: one output stream against its expected file.
compare() {
    local base=$EXACT/$1 stream=$2 got=$3
    if [ "$UPDATE" = 1 ]; then
        if [ -f "$base.$stream.glob" ] && glob_match "$got" "$base.$stream.glob"; then
            return
        fi
        rm -f "$base.$stream.glob" "$base.$stream.exact"
        if [ -s "$got" ]; then cp "$got" "$base.$stream.exact"; fi
        return
    fi
    if [ -f "$base.$stream.glob" ]; then
        glob_match "$got" "$base.$stream.glob" || case_fail "$stream does not match $1.$stream.glob:
$(cat "$got")"
    elif [ -f "$base.$stream.exact" ]; then
        cmp -s "$got" "$base.$stream.exact" || case_fail "$stream differs from $1.$stream.exact:
$(diff -u "$base.$stream.exact" "$got" | tail -n +3)"
    else
        [ ! -s "$got" ] || case_fail "$stream should be empty:
$(cat "$got")"
    fi
}

run_case() {
    local cmd=$EXACT/$name.cmd line got want before=$failed
    local -a args=()
    CASE_TMP=$TMP/$name
    mkdir -p "$CASE_TMP"
    # Fixture files, copied so that a case may change them; secret files
    # must be 0600 and git keeps only 0644.
    if [ -d "$EXACT/files" ]; then
        cp -R "$EXACT/files/." "$CASE_TMP/"
        chmod -R go-rwx "$CASE_TMP"
    fi
    while IFS= read -r line || [ -n "$line" ]; do
        args+=("$(subst "$line")")
    done <"$cmd"
    local input=/dev/null
    [ -f "$EXACT/$name.stdin" ] && input=$EXACT/$name.stdin
    set +e
    (cd "$CASE_TMP" && env -u VAULT_PASSWORD -u CIPHER_TOOL_PASSWORD LC_ALL=C COLUMNS=80 \
        setsid -w "$CT" "${args[@]}" <"$input" >"$TMP/.out" 2>"$TMP/.err")
    got=$?
    set -e
    # The secrets of files/ never show, whatever the expected files say.
    if grep -q -e plain-secret-value -e not-the-password -- "$TMP/.out" "$TMP/.err"; then
        case_fail "a secret of files/ is in the output"
    fi
    unsubst "$TMP/.out" >"$TMP/.out.p"
    unsubst "$TMP/.err" >"$TMP/.err.p"
    if [ "$UPDATE" = 1 ]; then
        echo "$got" >"$EXACT/$name.exit"
    else
        [ -f "$EXACT/$name.exit" ] || { case_fail "$name.exit is missing"; return; }
        want=$(cat "$EXACT/$name.exit")
        [ "$got" = "$want" ] || case_fail "exit $got, want $want"
    fi
    compare "$name" stdout "$TMP/.out.p"
    compare "$name" stderr "$TMP/.err.p"
    rm -rf "$CASE_TMP"
    [ "$failed" = "$before" ] && ok
    return 0
}

count=0
for cmd in "$EXACT"/*.cmd; do
    [ -e "$cmd" ] || fail "no cases in $EXACT"
    name=$(basename "$cmd" .cmd)
    count=$((count + 1))
    run_case
done
# The runner must be able to fail: a wrong exit, a changed byte and a
# non-matching glob are each caught.
if [ "$UPDATE" != 1 ]; then
    name=self-check
    CASE_TMP=$TMP/self
    mkdir -p "$CASE_TMP"
    printf 'a\n' >"$CASE_TMP/got"
    printf 'a*\nb\n' >"$CASE_TMP/pat"
    glob_match "$CASE_TMP/got" "$CASE_TMP/pat" && fail "glob_match took a missing line"
    printf 'a*\n' >"$CASE_TMP/pat"
    glob_match "$CASE_TMP/got" "$CASE_TMP/pat" || fail "glob_match refused a match"
    printf 'b*\n' >"$CASE_TMP/pat"
    glob_match "$CASE_TMP/got" "$CASE_TMP/pat" && fail "glob_match took a mismatch"
    ok
fi
if [ "$UPDATE" = 1 ]; then
    echo "updated $count cases in tests/cli/exact; review with git diff"
    exit 0
fi
[ "$failed" = 0 ] || { echo "$passed passed, $failed failed" >&2; exit 1; }
done_tests
