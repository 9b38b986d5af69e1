#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cipher-tool set: create or replace one secret. Judged by python3's TOML reader (the file stays
# TOML, the [secrets] table holds the alias) and by openssl (the new value opens to the secret
# with the keystore's private key, RSA-OAEP). --json of the rewriting commands checked against
# docs/JSON.md with python3's json module.
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
PW=$(pwfile wso2carbon)
KS=(-k "$J/identity.p12" --password-file "$PW")
OAEP=(--format wso2 --transformation RSA/ECB/OAEPwithSHA1andMGF1Padding)
D=$TMP/d.toml
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$D"
cp "$SH/fixtures/wso2-home/repository/conf/security/cipher-text.properties" "$TMP/c.properties"
chmod 640 "$D" "$TMP/c.properties"
openssl pkcs12 -in "$J/identity.p12" -passin pass:wso2carbon -nocerts -nodes -out "$TMP/key.pem" 2>/dev/null \
    || fail "openssl cannot read identity.p12"
chmod 600 "$TMP/key.pem"

# toml_secret FILE ALIAS: the value python3's TOML reader finds in [secrets].
toml_secret() {
    python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["secrets"][sys.argv[2]])' "$1" "$2"
}
# openssl_open VALUE: the plaintext of a raw WSO2 RSA-OAEP value, by openssl.
openssl_open() {
    printf '%s' "$1" | base64 -d | openssl pkeyutl -decrypt -inkey "$TMP/key.pem" -pkeyopt rsa_padding_mode:oaep
}

# create: a new alias (dotted: quoted in TOML), the rest of the file byte for byte as it was
cp "$D" "$TMP/d.before"
run_in 0 's3cr=t "ü"' "$CT" set "$D" new.db_password "${KS[@]}" "${OAEP[@]}"
contains "$err" "d.toml: alias \"new.db_password\" added"
equals "$(openssl_open "$(toml_secret "$D" new.db_password)")" 's3cr=t "ü"'
equals "$(grep -v '^"new.db_password" = ' "$D")" "$(cat "$TMP/d.before")"
equals "$(stat -c %a "$D")" 640
grep -qF 's3cr=t' "$D" && fail "the secret is in the file in clear"; ok
# replace: the same alias, a new value; the other values untouched
run_in 0 'second' "$CT" set "$D" new.db_password "${KS[@]}" "${OAEP[@]}"
contains "$err" "alias \"new.db_password\" replaced"
equals "$(openssl_open "$(toml_secret "$D" new.db_password)")" 'second'
equals "$(grep -c '^"new.db_password" = ' "$D")" 1
equals "$(toml_secret "$D" api_token)" '[tok-[inner]-end]'
# the value from a descriptor (its first line)
run 0 "$CT" set "$D" from_fd "${KS[@]}" "${OAEP[@]}" --value-fd 3 3< <(printf 'fd-value\nignored\n')
equals "$(openssl_open "$(toml_secret "$D" from_fd)")" 'fd-value'
# an empty value is refused, nothing written
cp "$D" "$TMP/d.now"
run_in 1 '' "$CT" set "$D" empty "${KS[@]}"
contains "$err" "empty"
run 1 "$CT" set "$D" empty "${KS[@]}" --value-fd 3 3< /dev/null
contains "$err" "empty"
cmp -s "$D" "$TMP/d.now" || fail "a refused set changed the file"; ok
# a value the format cannot hold: named, exit 1, nothing written
run_in 1 "$(head -c 300 /dev/zero | tr '\0' a)" "$CT" set "$D" new.db_password "${KS[@]}" "${OAEP[@]}"
contains "$err" "alias \"new.db_password\""
contains "$err" "could not be sealed; the file was not changed"
cmp -s "$D" "$TMP/d.now" || fail "a failed set changed the file"; ok
# on a terminal (a real pty, python3's pty module): the value typed twice without echo
cat > "$TMP/typist.py" <<'EOS'
import os, pty, select, sys, time
first, second = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[3], sys.argv[3:])
seen = b""
def wait_for(text):
    global seen
    deadline = time.time() + 20
    while text not in seen:
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
        if not r:
            return False
        try:
            d = os.read(fd, 4096)
        except OSError:
            d = b""
        if not d:
            return False
        seen += d
    return True
for answer in (first, second):
    if not wait_for(b": "):
        break
    seen = seen[seen.index(b": ") + 2:]
    os.write(fd, answer.encode() + b"\n")
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    seen += d
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(seen)
print("\nSTATUS=%d" % os.waitstatus_to_exitcode(st))
EOS
cp "$D" "$TMP/d.tty"
out=$(python3 "$TMP/typist.py" 'typed-twice' 'typed-twice' "$CT" set "$D" tty_alias "${KS[@]}" "${OAEP[@]}" | tr -d '\r')
contains "$out" "STATUS=0"
lacks "$out" "typed-twice"
equals "$(openssl_open "$(toml_secret "$D" tty_alias)")" 'typed-twice'
cp "$D" "$TMP/d.tty"
out=$(python3 "$TMP/typist.py" 'one' 'other' "$CT" set "$D" tty_alias "${KS[@]}" "${OAEP[@]}" | tr -d '\r')
contains "$out" "STATUS=1"
contains "$out" "differ"
cmp -s "$D" "$TMP/d.tty" || fail "two different entries changed the file"; ok
rm -f "$TMP/typist.py" "$TMP/d.tty"
# usage
run 2 "$CT" set "$D" "${KS[@]}"
contains "$err" "expected FILE ALIAS"
run 2 "$CT" set "$D" a b "${KS[@]}"
# a TOML file without [secrets] gets the table
printf '[server]\nhostname = "h"\n' > "$TMP/bare.toml"
run_in 0 'v1' "$CT" set "$TMP/bare.toml" only "${KS[@]}" "${OAEP[@]}"
equals "$(openssl_open "$(toml_secret "$TMP/bare.toml" only)")" 'v1'
equals "$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["server"]["hostname"])' "$TMP/bare.toml")" h
# an empty [secrets] table before another one, and CRLF line ends (kept on the new line)
printf '[secrets]\r\n\r\n[other]\r\nx = 1\r\n' > "$TMP/crlf.toml"
run_in 0 'v2' "$CT" set "$TMP/crlf.toml" only "${KS[@]}" "${OAEP[@]}"
equals "$(openssl_open "$(toml_secret "$TMP/crlf.toml" only)")" 'v2'
equals "$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["other"]["x"])' "$TMP/crlf.toml")" 1
equals "$(grep -c $'\r$' "$TMP/crlf.toml")" "$(wc -l < "$TMP/crlf.toml")"
rm "$TMP/crlf.toml"
# properties: added after the last secret
run_in 0 'prop-value' "$CT" set "$TMP/c.properties" new.alias "${KS[@]}" "${OAEP[@]}"
v=$(sed -n 's/^new\.alias=//p' "$TMP/c.properties")
equals "$(openssl_open "$v")" 'prop-value'
# nothing left beside the files (no temporary file, no plaintext anywhere under TMP)
equals "$(ls -A "$TMP" | grep -v -E '^(\.out|\.err|d\.toml|d\.before|d\.now|c\.properties|key\.pem|bare\.toml|pw\..*)$' || true)" ""
grep -rqF 'prop-value' "$TMP" && fail "a plaintext was left in a file"; ok

# edit: a scripted $EDITOR. The view it gets: 0600, on tmpfs, every secret decrypted as "[...]";
# unchanged values keep their ciphertext, a changed and an added one are sealed (openssl opens
# them), and the view is gone afterwards.
E=$TMP/e.toml
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$E"
chmod 640 "$E"
run 0 "$CT" seal "$E" "${KS[@]}" "${OAEP[@]}"
cp "$E" "$TMP/e.before"
cat > "$TMP/editor.sh" <<'EOS'
#!/bin/sh
# records what it was given, then edits: one value changed, one secret added, one setting changed
printf '%s\n' "$1" > "$EDITOR_LOG"
stat -c '%a' "$1" >> "$EDITOR_LOG"
stat -f -c '%T' "$1" >> "$EDITOR_LOG"
grep -c '^admin_password = "\[admin\]"$' "$1" >> "$EDITOR_LOG"
sed -i -e 's/^admin_password = "\[admin\]"$/admin_password = "[n3w admin]"/' \
    -e 's/^hostname = .*/hostname = "edited"/' -e 's/^\[secrets\]$/[secrets]\nadded_secret = "[fresh]"/' "$1"
EOS
chmod +x "$TMP/editor.sh"
export EDITOR_LOG=$TMP/editor.log
EDITOR=$TMP/editor.sh run 0 "$CT" edit "$E" "${KS[@]}" "${OAEP[@]}"
contains "$err" "e.toml: 1 secret changed, 1 added"
view=$(sed -n 1p "$EDITOR_LOG")
equals "$(sed -n 2p "$EDITOR_LOG")" 600
equals "$(sed -n 3p "$EDITOR_LOG")" tmpfs
equals "$(sed -n 4p "$EDITOR_LOG")" 1
[ ! -e "$view" ] && [ ! -e "$(dirname "$view")" ] || fail "the decrypted view was left: $view"; ok
equals "$(openssl_open "$(toml_secret "$E" admin_password)")" 'n3w admin'
equals "$(openssl_open "$(toml_secret "$E" added_secret)")" 'fresh'
equals "$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["server"]["hostname"])' "$E")" edited
for a in keystore_password shared_db_password api_token already_sealed; do
    equals "$(grep "^$a = " "$E")" "$(grep "^$a = " "$TMP/e.before")"
done
grep -qF 'n3w admin' "$E" && fail "the new secret is in the file in clear"; ok
# abort: the editor changes the view, then exits non-zero: nothing written
cp "$E" "$TMP/e.now"
printf '#!/bin/sh\necho "$1" >> "$VIEWS"\nsed -i s/edited/again/ "$1"\nexit 3\n' > "$TMP/abort.sh"; chmod +x "$TMP/abort.sh"
export VIEWS=$TMP/views # the views the editors below are given
VISUAL=$TMP/abort.sh run 1 "$CT" edit "$E" "${KS[@]}"
contains "$err" "the editor exited with status 3"
cmp -s "$E" "$TMP/e.now" || fail "an aborted edit changed the file"; ok
# no change: nothing written, the same inode
ino=$(stat -c %i "$E")
printf '#!/bin/sh\necho "$1" >> "$VIEWS"\n' > "$TMP/noop.sh"; chmod +x "$TMP/noop.sh"
EDITOR=$TMP/noop.sh run 0 "$CT" edit "$E" "${KS[@]}"
contains "$err" "no change"
cmp -s "$E" "$TMP/e.now" || fail "an edit without change changed the file"; ok
equals "$(stat -c %i "$E")" "$ino"
# an edit that empties a secret is refused, nothing written
printf '#!/bin/sh\necho "$1" >> "$VIEWS"\nsed -i "s/^admin_password = .*/admin_password = \\"\\"/" "$1"\n' > "$TMP/empty.sh"; chmod +x "$TMP/empty.sh"
EDITOR=$TMP/empty.sh run 1 "$CT" edit "$E" "${KS[@]}"
contains "$err" "alias \"admin_password\""
cmp -s "$E" "$TMP/e.now" || fail "a refused edit changed the file"; ok
# none of their views is left on tmpfs (only theirs: another edit may run
# meanwhile on this machine)
equals "$(wc -l < "$VIEWS")" 3
while read -r v; do
    case $v in /dev/shm/cipher-tool-edit.*/* | "${XDG_RUNTIME_DIR:-/nonexistent}"/cipher-tool-edit.*/*) ;;
    *) fail "a view outside tmpfs: $v" ;; esac
    [ ! -e "$v" ] && [ ! -e "$(dirname "$v")" ] || fail "a view directory was left: $v"
done < "$VIEWS"
ok
run 2 "$CT" edit "$E"
contains "$err" "missing -k"

# -Dconfigure with one value that cannot be sealed after good ones: exit 1, that alias named,
# deployment.toml byte for byte as it was, no secret-conf.properties written
cp -r "$SH/fixtures/wso2-home" "$TMP/home"
chmod -R u+w "$TMP/home"
H=$TMP/home/repository/conf/deployment.toml
sed -i "s/^api_token = .*/api_token = \"[$(head -c 300 /dev/zero | tr '\0' t)]\"/" "$H"
cp "$H" "$TMP/h.before"
cd "$TMP/home"
run 1 "$CT" -Dconfigure --password-file "$PW" -Dorg.wso2.CipherTransformation=RSA
contains "$err" "alias \"api_token\": value of 300 bytes is too long"
contains "$err" "the file was not changed"
cd "$TMP"
cmp -s "$H" "$TMP/h.before" || fail "a failed -Dconfigure changed deployment.toml"; ok
[ ! -e "$TMP/home/repository/conf/security/secret-conf.properties" ] || fail "a failed -Dconfigure wrote secret-conf.properties"; ok
rm -rf "$TMP/home"

# --json (docs/JSON.md, docs/json-schema.json when python3-jsonschema is there): one object on
# stdout, success and failure alike
J_CHECK='
import json, sys
o = json.load(sys.stdin)
want_cmd, want_status, want_ok = sys.argv[1], sys.argv[2], sys.argv[3] == "ok"
assert o["version"] == 1 and o["command"] == want_cmd, o
assert set(o) >= {"version", "command", "key_ids", "files", "error"}, o
for k in o["key_ids"]:
    assert set(k) == {"type", "value"} and len(k["value"]) == 64 and k["value"] == k["value"].lower(), k
    assert k["type"] in ("cert-sha256", "spki-sha256", None), k
for f in o["files"]:
    assert set(f) == {"path", "written", "changed", "failed", "opened", "key_locked", "entries", "error"}, f
    for e in f["entries"]:
        assert set(e) == {"alias", "status", "legacy", "error"}, e
        assert (e["status"] == "failed") == (e["error"] is not None), e
try:
    import jsonschema
except ImportError:
    jsonschema = None
if jsonschema:
    schema = json.load(open(sys.argv[4]))
    jsonschema.Draft202012Validator(schema).validate(o)
statuses = [e["status"] for f in o["files"] for e in f["entries"]]
assert want_status in statuses, statuses
if want_ok:
    assert o["error"] is None, o
else:
    assert o["error"]["code"] in ("usage", "not-found", "auth", "key", "format", "permission",
                                  "memory", "io", "trust", "error"), o
    assert o["error"]["message"], o
print("ok")
'
jcheck() { equals "$(printf '%s' "$out" | python3 -c "$J_CHECK" "$@" "$VAULT_SOURCE/docs/json-schema.json")" ok; }
run_in 0 'j1' "$CT" set "$D" json_alias "${KS[@]}" --json
jcheck set created ok
equals "$(printf '%s' "$out" | python3 -c 'import json,sys; o=json.load(sys.stdin); f=o["files"][0]; print(f["written"], f["opened"], o["key_ids"][0]["type"])')" "True True cert-sha256"
run_in 1 "$(head -c 300 /dev/zero | tr '\0' a)" "$CT" set "$D" json_alias "${KS[@]}" "${OAEP[@]}" --json
jcheck set failed fail
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$TMP/j.toml"
run 0 "$CT" seal "$TMP/j.toml" "${KS[@]}" --json
jcheck seal already-sealed ok
equals "$(printf '%s' "$out" | python3 -c 'import json,sys; f=json.load(sys.stdin)["files"][0]; print(f["changed"], f["written"])')" "6 True"
run 0 "$CT" seal "$TMP/j.toml" "${KS[@]}" --json
equals "$(printf '%s' "$out" | python3 -c 'import json,sys; f=json.load(sys.stdin)["files"][0]; print(f["changed"], f["written"])')" "0 False"
run_in 0 'c2' "$CT" change "$TMP/j.toml" admin_password "${KS[@]}" --json
jcheck change replaced ok
run_in 1 'c2' "$CT" change "$TMP/j.toml" no_such "${KS[@]}" --json
equals "$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["error"]["code"])')" not-found
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/k2.key" -out "$TMP/k2.crt" -subj /CN=k2 -days 2 2>/dev/null
cat "$TMP/k2.key" "$TMP/k2.crt" > "$TMP/k2.pem"; rm "$TMP/k2.key"
run 0 "$CT" rotate "$TMP/j.toml" --from-keystore "$J/identity.p12" --from-password-file "$PW" -k "$TMP/k2.pem" --json
jcheck rotate rotated ok
run 0 "$CT" rotate "$TMP/j.toml" --from-keystore "$J/identity.p12" --from-password-file "$PW" -k "$TMP/k2.pem" --json
jcheck rotate already-rotated ok
run 0 "$CT" recipients add "$TMP/j.toml" -k "$TMP/k2.pem" --cert "$J/identity.pem" --json
jcheck "recipients add" rewrapped ok
run 0 "$CT" recipients add "$TMP/j.toml" -k "$TMP/k2.pem" --cert "$J/identity.pem" --json
jcheck "recipients add" already-rewrapped ok
contains "$err" "had the recipient; the file was not changed"
run 1 "$CT" rotate "$TMP/j.toml" --from-keystore "$TMP/k2.pem" -k "$TMP/nope.p12" --json
equals "$(printf '%s' "$out" | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["error"]["code"], o["files"])')" "error []"
done_tests
