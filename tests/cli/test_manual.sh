#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The manual describes every command and subcommand of the command table, and
# man(1) renders it without warnings.
. "$(dirname "$0")/lib.sh"

page=${VAULT_SOURCE:?}/docs/cipher-tool.1
run 0 "$CT" --help
commands=$(printf '%s\n' "$out" | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')
[ "$(printf '%s\n' "$commands" | wc -l)" -ge 12 ] || fail "too few commands read from --help: $commands"; ok
for c in $commands; do
    grep -q "^\.B $c\( \|\\\\\|$\)" "$page" || fail "the manual has no entry for '$c'"; ok
done
for pair in "recipients add" "recipients remove" "keystore list" "keystore verify"; do
    grep -q "^\.B $pair" "$page" || fail "the manual has no entry for '$pair'"; ok
done
for section in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" EXAMPLES "SEE ALSO"; do
    grep -q "^\.SH $section\$" "$page" || fail "the manual has no $section section"; ok
done
if command -v groff >/dev/null; then
    warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    [ -z "$warnings" ] || fail "groff warns: $warnings"; ok
fi
done_tests
