#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# -Dchange and -Dpassword on a real terminal (a pty): while the tool waits
# at its prompt, /proc/PID/cmdline no longer holds the -Dpassword value;
# the changed value and every other one resolve by WSO2's runtime rules
# (WSO2Resolve.java); an unknown alias changes nothing.
source "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$TMP/java"
javac -d "$TMP/java" "$HERE/WSO2Resolve.java" || fail "javac failed"
PW=$(pwfile wso2carbon)
T=repository/conf/deployment.toml
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

cp -r "$SH/fixtures/wso2-home" "$TMP/home"
chmod -R u+w "$TMP/home"
cd "$TMP/home"
run 0 "$CT" -Dconfigure --password-file "$PW"

# pty_change ALIAS VALUE: run -Dchange -Dpassword=wso2carbon on a pty,
# answer its prompts; checks the command line at the first prompt. Exit
# status of the tool in $rc, its terminal output in $TMP/tty.
cat > "$TMP/drive.py" <<'PY'
import os, pty, sys, time
ct, alias, value, log = sys.argv[1:5]
pid, fd = pty.fork()
if pid == 0:
    os.execv(ct, [ct, "-Dchange", "-Dpassword=wso2carbon"])
seen = b""
def until(text, limit=20):
    global seen
    end = time.time() + limit
    while text not in seen:
        if time.time() > end:
            sys.exit("timeout waiting for %r; got %r" % (text, seen))
        try:
            seen += os.read(fd, 4096)
        except OSError:
            sys.exit("the tool ended before %r; got %r" % (text, seen))
until(b"alias to change: ")
with open("/proc/%d/cmdline" % pid, "rb") as f:
    cmdline = f.read()
if b"wso2carbon" in cmdline or b"-Dchange" not in cmdline:
    sys.exit("the password is still in the command line: %r" % cmdline)
os.write(fd, alias.encode() + b"\n")
if value:
    until(b"new value: ")
    os.write(fd, value.encode() + b"\n")
    until(b"again: ")
    os.write(fd, value.encode() + b"\n")
status = 0
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
_, status = os.waitpid(pid, 0)
open(log, "wb").write(seen)
sys.exit(os.waitstatus_to_exitcode(status) + 10 if os.waitstatus_to_exitcode(status) else 0)
PY
pty_change() {
    rc=0
    python3 "$TMP/drive.py" "$CT" "$1" "$2" "$TMP/tty" || rc=$?
}

cp $T "$TMP/before.toml"
pty_change admin_password 'n3w-adm1n'
equals "$rc" 0
tty=$(cat "$TMP/tty")
lacks "$tty" "n3w-adm1n"
contains "$tty" "warning: -Dpassword"
run 0 java -cp "$TMP/java" WSO2Resolve "$TMP/home" wso2carbon
equals "$(awk -F'\t' '$1 == "admin_password" { print $2 }' <<<"$out")" "$(hex n3w-adm1n)"
equals "$(awk -F'\t' '$1 == "keystore_password" { print $2 }' <<<"$out")" "$(hex wso2carbon)"
# only that value changed
equals "$(diff "$TMP/before.toml" $T | grep -c '^[<>]')" 2

# an alias that is not there: exit 1, nothing changed
cp $T "$TMP/before.toml"
pty_change no_such_alias ''
equals "$rc" 11
contains "$(cat "$TMP/tty")" "no_such_alias"
cmp -s $T "$TMP/before.toml" || fail "a failed -Dchange changed deployment.toml"
ok
done_tests
