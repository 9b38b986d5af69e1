# SPDX-License-Identifier: Apache-2.0
# Shared helpers for the CLI test scripts (sourced).
set -euo pipefail
# No controlling terminal, as in CI, even when the tests run from one: a
# prompt on /dev/tty would wait for a person instead of failing. (Tests of
# prompts make their own pseudo-terminal.)
if [ -z "${VAULT_TEST_DETACHED:-}" ] && (exec 9</dev/tty) 2>/dev/null; then
    export VAULT_TEST_DETACHED=1
    exec setsid -w bash "$0" "$@"
fi
CT=${CIPHER_TOOL:?}
SH=${VAULT_SHARED:?}
# A script that uses the shared test material is skipped (77, with the
# reason) when it is not there; the others run.
if [ ! -d "$SH" ] && grep -q '\$SH\b\|\${SH' "$0"; then
    echo "skipped: the shared test material ($SH) is not there"
    exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { passed=$((passed + 1)); }

# run EXPECTED_EXIT CMD...: runs CMD with no terminal, keeps stdout/stderr in $out/$err.
run() {
    local want=$1; shift
    set +e
    "$@" >"$TMP/.out" 2>"$TMP/.err" </dev/null
    local got=$?
    set -e
    out=$(cat "$TMP/.out"); err=$(cat "$TMP/.err")
    [ "$got" = "$want" ] || fail "exit $got, want $want: $*
stdout: $out
stderr: $err"
    ok
}

# run_in EXPECTED_EXIT INPUT CMD...: as run, with INPUT on stdin.
run_in() {
    local want=$1 input=$2; shift 2
    set +e
    printf '%s' "$input" | "$@" >"$TMP/.out" 2>"$TMP/.err"
    local got=$?
    set -e
    out=$(cat "$TMP/.out"); err=$(cat "$TMP/.err")
    [ "$got" = "$want" ] || fail "exit $got, want $want: $*
stdout: $out
stderr: $err"
    ok
}

contains() { case "$1" in *"$2"*) ok ;; *) fail "expected to contain '$2': $1" ;; esac; }
lacks() { case "$1" in *"$2"*) fail "must not contain '$2': $1" ;; *) ok ;; esac; }
equals() { [ "$1" = "$2" ] || fail "expected '$2', got '$1'"; ok; }

# A 0600 password file.
pwfile() { local f=$TMP/pw.$RANDOM$RANDOM; printf '%s\n' "$@" > "$f"; chmod 600 "$f"; echo "$f"; }

done_tests() { echo "$passed passed, 0 failed"; }
