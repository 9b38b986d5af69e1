#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every command's options: each option 'cipher-tool help CMD' lists is one
# the parser takes (never "unknown option"), the completions offer exactly
# the options the help lists, and every usage error of the parser has one
# shape: exit 2, "error: unknown option" or "option ... needs a value", and
# the hint naming the command's help.
. "$(dirname "$0")/lib.sh"

# A command with subcommands is parsed after one of them.
subcommand() {
    case $1 in
    keystore) echo list ;;
    recipients) echo remove ;;
    esac
}

# try EXIT CMD ARGS...: CMD without a terminal (nothing may prompt) and
# with empty input; $out, $err and $rc as it left them.
try() {
    set +e
    setsid -w "$CT" "$@" >"$TMP/.out" 2>"$TMP/.err" </dev/null
    rc=$?
    set -e
    out=$(cat "$TMP/.out")
    err=$(cat "$TMP/.err")
}

# The option lines of a help text, before its examples, as
# "LETTER LONG ARG" (LETTER "-" when none, ARG 1 when it takes a value:
# its name is followed by an upper-case VALUE).
help_options() {
    sed -n -E -e '/^examples?:/q' \
        -e 's/^  (-([A-Za-z0-9]), |    )--([A-Za-z0-9-]+)( [A-Z]|\[=)?.*/:\2 \3 :\4/p' |
        while read -r letter long arg; do
            letter=${letter#:} arg=${arg#:}
            [ -n "$arg" ] && arg=1 || arg=0
            echo "${letter:--} $long $arg"
        done
}

# The -D options of a help text: "-Dname", or "-Dname=" for one with a value.
help_d_options() {
    sed -n -E -e '/^examples?:/q' -e 's/^  -D([A-Za-z0-9.]+)(=)?.*/-D\1\2/p' | sort -u
}

run 0 "$CT" help
commands=$(printf '%s\n' "$out" | sed -n '/^commands:/,/^$/s/^  \([a-z0-9]*\) .*/\1/p')
[ "$(printf '%s\n' "$commands" | wc -l)" -ge 15 ] || fail "too few commands in 'cipher-tool help': $commands"
ok

checked=0
for cmd in $commands; do
    sub=$(subcommand "$cmd")
    run 0 "$CT" help "$cmd"
    help=$out
    opts=$(printf '%s\n' "$out" | help_options)
    [ -n "$opts" ] || fail "help $cmd lists no option"
    # The help's options are the table's: what the completions offer.
    # -Dname=value lines (render, exec, check) are offered as "-Dname=".
    run 0 "$CT" completion --options "$cmd"
    equals "$(printf '%s\n' "$out" | sort)" \
        "$( (printf '%s\n' "$opts" | awk '{print "--" $2}'; help_d_options <<<"$help") | sort)"

    while read -r letter long arg; do
        forms=("--$long")
        [ "$letter" = - ] || forms+=("-$letter")
        for form in "${forms[@]}"; do
            if [ "$arg" = 1 ]; then set -- "$form" x; else set -- "$form"; fi
            try "$cmd" $sub "$@"
            case $err in
            *"unknown option"* | *"needs a value"*)
                fail "$cmd: $form is in the help but the parser refuses it: $err" ;;
            esac
            if [ "$long" = help ]; then
                [ "$rc" = 0 ] || fail "$cmd $form: exit $rc"
                case $out in "usage: cipher-tool $cmd"*) ;; *) fail "$cmd $form printed: $out" ;; esac
            fi
            ok
            checked=$((checked + 1))
        done
        # A value-taking option at the end of the line lacks its value.
        if [ "$arg" = 1 ]; then
            try "$cmd" $sub "--$long"
            equals "$rc" 2
            equals "$err" "cipher-tool: error: option --$long needs a value
cipher-tool: hint: see 'cipher-tool help $cmd'"
        fi
    done <<<"$opts"

    # What no table has: the one message, exit 2, nothing on stdout.
    try "$cmd" $sub --no-such-option
    equals "$rc" 2
    equals "$out" ""
    equals "$err" "cipher-tool: error: unknown option \"--no-such-option\"
cipher-tool: hint: see 'cipher-tool help $cmd'"
    try "$cmd" $sub -Z
    equals "$rc" 2
    equals "$err" "cipher-tool: error: unknown option \"-Z\"
cipher-tool: hint: see 'cipher-tool help $cmd'"
done
[ "$checked" -ge 150 ] || fail "only $checked option forms checked"
ok

# The checks above can fail: an option of no table is caught by them.
try seal --no-such-option
case $err in *"unknown option"*) ok ;; *) fail "the refusal of an unknown option is not seen: $err" ;; esac
run 2 "$CT" completion --options no-such-command
contains "$err" 'unknown command "no-such-command"'

# The WSO2 cipher tool's -D options: each one 'cipher-tool -help' lists is
# taken (run in an empty directory, which is no product home), offered by
# the bash completion after "cipher-tool", and an unknown one is a usage
# error of the one shape.
mkdir -p "$TMP/nohome"
run 0 "$CT" -help
case $out in "usage: cipher-tool -Dconfigure"*) ok ;; *) fail "-help printed: $out" ;; esac
dopts=$(help_d_options <<<"$out")
[ "$(printf '%s\n' "$dopts" | wc -l)" -ge 8 ] || fail "too few -D options in -help: $dopts"
run 0 "$CT" completion bash
words=$(printf '%s\n' "$out" | sed -n "s/.*compgen -W '\([^']*\)' -- .*/\1/p" | head -n 1)
for d in $dopts; do
    case " $words " in *" $d "*) ok ;; *) fail "the bash completion does not offer $d: $words" ;; esac
    case $d in *=) form=${d}x ;; *) form=$d ;; esac
    set +e
    (cd "$TMP/nohome" && CARBON_HOME="$TMP/nohome" setsid -w "$CT" "$form" -Dconfigure </dev/null \
        >"$TMP/.out" 2>"$TMP/.err")
    set -e
    lacks "$(cat "$TMP/.err")" "unknown option"
done
for bad in -Dfrob -Dconfigurex -Dold.alias -Dsymmetric=1 operand; do
    set +e
    (cd "$TMP/nohome" && CARBON_HOME="$TMP/nohome" "$CT" -Dconfigure "$bad" </dev/null >"$TMP/.out" 2>"$TMP/.err")
    rc=$?
    set -e
    equals "$rc" 2
    equals "$(cat "$TMP/.out")" ""
    equals "$(cat "$TMP/.err")" "cipher-tool: error: unknown option \"$bad\"
cipher-tool: hint: see 'cipher-tool -help'"
done
equals "$(cd "$TMP/nohome" && ls -A)" ""

# A repeatable option keeps up to 16 values; one more is a usage error of
# the parser, judged before any file is opened (none of these exists).
certs=()
for i in $(seq 1 16); do certs+=(--cert "$TMP/no-such-cert-$i.pem"); done
for cmd in check recipients seal change set edit encrypt rotate; do
    sub=$(subcommand "$cmd")
    run 0 "$CT" help "$cmd"
    contains "$out" "repeatable"
    try "$cmd" $sub "${certs[@]}" x
    lacks "$err" "at most"
    try "$cmd" $sub "${certs[@]}" --cert "$TMP/no-such-cert-17.pem" x
    equals "$rc" 2
    equals "$out" ""
    equals "$err" "cipher-tool: error: at most 16 --cert options
cipher-tool: hint: see 'cipher-tool help $cmd'"
done
# A usage error anywhere on the line comes before a certificate is read.
try check --cert "$TMP/no-such-cert-1.pem" --type yaml x
equals "$rc" 2
lacks "$err" "no-such-cert"
contains "$err" 'unknown --type "yaml"'

# exec stops at COMMAND: its options are COMMAND's own.
try exec -c "$TMP/none.toml" -- env --no-such-option
lacks "$err" "unknown option"

done_tests
