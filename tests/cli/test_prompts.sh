#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The terminal, driven through a real pty (python3's pty module): end of input
# at any prompt cancels (exit 1, file byte-identical), an empty entry is
# refused, and echo is back after Ctrl-C at a prompt (stty judges), under dash
# and under bash.
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
PW=$(pwfile wso2carbon)
KS=(-k "$J/identity.p12" --password-file "$PW")
command -v dash >/dev/null || fail "dash is not installed (scripts/deps.sh)"

# drive STEPS CMD...: run CMD on a new pty; STEPS is "PROMPT=>INPUT;;..." with
# INPUT in python escapes (\x04 is Ctrl-D, \x03 Ctrl-C). Each input is typed once
# PROMPT has appeared. Sets $out (everything the terminal showed) and $status.
cat > "$TMP/drive.py" <<'EOF'
import os, pty, select, sys, time
steps = [s.split("=>", 1) for s in sys.argv[1].split(";;") if s]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
seen, pos = b"", 0
def more(deadline):
    global seen
    r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
    if not r:
        return False
    try:
        d = os.read(fd, 4096)
    except OSError:
        d = b""
    seen += d
    return bool(d)
for prompt, text in steps:
    p = prompt.encode()
    deadline = time.time() + 20
    while p not in seen[pos:]:
        if not more(deadline):
            sys.stdout.buffer.write(seen)
            print("\nDRIVE: no prompt %r" % prompt)
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            sys.exit(3)
    pos = seen.index(p, pos) + len(p)
    time.sleep(0.1)
    os.write(fd, text.encode().decode("unicode_escape").encode("latin-1"))
deadline = time.time() + 20
while more(deadline):
    pass
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(seen)
print("\nSTATUS=%d" % os.waitstatus_to_exitcode(st))
EOF
drive() {
    local steps=$1; shift
    out=$(python3 "$TMP/drive.py" "$steps" "$@" | tr -d '\r')
    status=$(printf '%s\n' "$out" | sed -n 's/^STATUS=//p' | tail -1)
    [ -n "$status" ] || fail "the pty driver failed: $out"
}
unchanged() { cmp -s "$1" "$2" || fail "$1 was changed"; ok; }

printf '[secrets]\nkept = "[k]"\nasked = ""\n' > "$TMP/s.toml"
cp "$TMP/s.toml" "$TMP/s.before"
printf '[secrets]\na = "[one]"\n' > "$TMP/c.toml"
run 0 "$CT" seal "$TMP/c.toml" "${KS[@]}"
cp "$TMP/c.toml" "$TMP/c.before"

# End of input at each prompt of seal, change and the keystore password: cancelled.
for steps in 'Enter the value of "asked": =>\x04' \
             'Enter the value of "asked": =>s3cret\n;;again: =>\x04'; do
    drive "$steps" "$CT" seal "$TMP/s.toml" "${KS[@]}"
    equals "$status" 1
    contains "$out" "cancelled"
    unchanged "$TMP/s.toml" "$TMP/s.before"
done
for steps in 'Enter the new value of "a": =>\x04' \
             'Enter the new value of "a": =>n3w\n;;again: =>\x04' \
             'Enter the new value of "a": =>n3w\x04\x04'; do
    drive "$steps" "$CT" change "$TMP/c.toml" a "${KS[@]}"
    equals "$status" 1
    contains "$out" "cancelled"
    unchanged "$TMP/c.toml" "$TMP/c.before"
done
drive 'Password of keystore =>\x04' "$CT" seal "$TMP/s.toml" -k "$J/identity.p12"
equals "$status" 1
contains "$out" "cancelled at the password prompt"
unchanged "$TMP/s.toml" "$TMP/s.before"

# The same with --json: the report's error code is "cancelled" (docs/JSON.md).
drive 'Enter the value of "asked": =>\x04' "$CT" seal "$TMP/s.toml" "${KS[@]}" --json
equals "$status" 1
contains "$out" '"code": "cancelled"'
unchanged "$TMP/s.toml" "$TMP/s.before"
drive 'Enter the new value of "a": =>\x04' "$CT" change "$TMP/c.toml" a "${KS[@]}" --json
equals "$status" 1
contains "$out" '"code": "cancelled"'
unchanged "$TMP/c.toml" "$TMP/c.before"
drive 'Password of keystore =>\x04' "$CT" seal "$TMP/s.toml" -k "$J/identity.p12" --json
equals "$status" 1
contains "$out" '"code": "cancelled"'
contains "$out" 'cancelled at the password prompt"'
unchanged "$TMP/s.toml" "$TMP/s.before"

# Enter twice (an empty secret): refused, nothing written.
drive 'Enter the new value of "a": =>\n;;=>\n' "$CT" change "$TMP/c.toml" a "${KS[@]}"
equals "$status" 1
contains "$out" "empty"
unchanged "$TMP/c.toml" "$TMP/c.before"
drive 'Enter the value of "asked": =>\n;;=>\n' "$CT" seal "$TMP/s.toml" "${KS[@]}"
equals "$status" 1
contains "$out" "empty"
unchanged "$TMP/s.toml" "$TMP/s.before"
# Two entries that differ: refused.
drive 'Enter the new value of "a": =>one\n;;again: =>two\n' "$CT" change "$TMP/c.toml" a "${KS[@]}"
equals "$status" 1
contains "$out" "differ"
unchanged "$TMP/c.toml" "$TMP/c.before"

# Typed twice, not echoed, sealed: the key opens it to what was typed.
drive 'Password of keystore =>wso2carbon\n;;Enter the new value of "a": =>t0ps3cret\n;;again: =>t0ps3cret\n' \
    "$CT" change "$TMP/c.toml" a -k "$J/identity.p12"
equals "$status" 0
lacks "$out" "t0ps3cret"
lacks "$out" "wso2carbon"
val=$(sed -n 's/^a = "\(.*\)"$/\1/p' "$TMP/c.toml")
equals "$(printf '%s' "$val" | "$CT" decrypt "${KS[@]}" -n a)" "t0ps3cret"
cp "$TMP/c.toml" "$TMP/c.before"

# Ctrl-C at a no-echo prompt: the tool dies of SIGINT (status 130 in the shell)
# and stty, run next by the same shell on the same terminal, shows echo on.
for sh in dash bash; do
    for prompt in 'Enter the new value of "a": ' 'Password of keystore '; do
        if [ "$prompt" = 'Password of keystore ' ]; then
            keys=(-k "$J/identity.p12")
        else
            keys=("${KS[@]}")
        fi
        drive "$prompt=>\\x03" "$sh" -c 'trap ":" INT; "$@"; echo "status=$?"; stty -a' sh \
            "$CT" change "$TMP/c.toml" a "${keys[@]}"
        contains "$out" "status=130"
        printf '%s\n' "$out" | grep -Eq '(^|[ ;])echo( |;|$)' || fail "$sh: no echo after Ctrl-C: $out"
        ok
        printf '%s\n' "$out" | grep -Eq '(^|[ ;])-echo( |;|$)' && fail "$sh: -echo after Ctrl-C: $out"
        ok
        unchanged "$TMP/c.toml" "$TMP/c.before"
    done
done

done_tests
