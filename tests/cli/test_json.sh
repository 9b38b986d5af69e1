#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# --json of check, list, keystore list/verify, encrypt, decrypt and inspect:
# every object, failures included, is checked by python3-jsonschema against
# docs/json-schema.json, and its facts against openssl and python3.
source "$(dirname "$0")/lib.sh"
SCHEMA=$(cd "$(dirname "$0")/../../docs" && pwd)/json-schema.json
J=$SH/fixtures/java
PW=$(pwfile wso2carbon)
KS=(-k "$J/identity.p12" --password-file "$PW")
python3 -c 'import jsonschema' 2>/dev/null || { echo "skipped: python3-jsonschema is not installed"; exit 77; }

# valid: $out is one JSON object; kept to be checked against the schema at
# the end, all in one python3 process (validate_all).
mkdir "$TMP/json"
valid() {
    printf '%s' "$out" | python3 -c 'import json, sys; json.load(sys.stdin)' || fail "not one JSON object: $out"
    printf '%s' "$out" > "$TMP/json/$(printf '%03d' "$passed").json"
    ok
}
# validate_all [--reject]: every kept object follows docs/json-schema.json
# (with --reject: every one is refused by it).
validate_all() {
    python3 - "$SCHEMA" "$@" <<'PY' || fail "docs/json-schema.json"
import glob, json, os, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
reject = "--reject" in sys.argv[2:]
d = os.environ["JSON_DIR"]
files = sorted(glob.glob(d + "/*.json"))
assert files, "nothing to validate in " + d
for f in files:
    text = open(f).read()
    errors = list(v.iter_errors(json.loads(text)))
    if reject and not errors:
        sys.exit("the schema takes %s" % text)
    if not reject and errors:
        sys.exit("%s: %s\n%s" % (f, errors[0].message, text))
print(len(files), "objects", "refused" if reject else "valid")
PY
    ok
}
# field EXPR: a python expression over the object o, printed.
field() { printf '%s' "$out" | python3 -c 'import base64, json, sys; o = json.load(sys.stdin); print(eval(sys.argv[1]))' "$@"; }
# failed CODE COMMAND: $out is the error object of COMMAND with CODE.
failed() { valid; equals "$(field 'o["command"], o["error"]["code"]')" "('$2', '$1')"; }

# The schema itself rejects what the contract forbids (so that it can fail).
mkdir "$TMP/bad"
printf '%s' '{"version": 1, "command": "list", "files": [{"file": "a", "secrets": [{"alias": "x", "line": 0, "state": "plain", "format": null, "algorithm": null, "key_ids": [], "legacy": null}]}]}' > "$TMP/bad/1.json"
printf '%s' '{"version": 1, "command": "check", "ok": true, "files": ["a"], "problems": [], "extra": 1}' > "$TMP/bad/2.json"
printf '%s' '{"version": 1, "command": "encrypt", "alias": null, "format": "native", "algorithm": null, "key_ids": ["F6:65"], "value": "v"}' > "$TMP/bad/3.json"
printf '%s' '{"version": 1, "command": "check", "ok": false, "files": ["a"], "problems": [{"file": "a", "line": 0, "alias": "", "code": "unreadable", "message": "m", "detail": null}]}' > "$TMP/bad/4.json"
printf '%s' '{"version": 1, "command": "keystore list", "keystore": "k", "type": "jks", "entries": [{"alias": "a", "kind": "secret-key", "key_algorithm": "AES", "key_bits": 256, "subject": "", "issuer": null, "serial": null, "not_before": null, "not_after": null, "key_ids": [], "chain_length": 0, "chain": []}]}' > "$TMP/bad/5.json"
JSON_DIR=$TMP/bad validate_all --reject

sha256_of() { openssl x509 -in "$1" -outform DER | sha256sum | cut -c1-64; }
sha1_of() { openssl x509 -in "$1" -outform DER | sha1sum | cut -c1-40; }
CERT_SHA256=$(sha256_of "$J/identity.pem")
CERT_SHA1=$(sha1_of "$J/identity.pem")

# ---- check --------------------------------------------------------------------
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$TMP/d.toml"
run 1 "$CT" check "$TMP/d.toml" --json
valid
equals "$(field 'o["ok"], sorted(set(p["code"] for p in o["problems"])), o["files"]')" \
    "(False, ['plain-text'], ['$TMP/d.toml'])"
equals "$(field 'all(type(p["line"]) is int and p["line"] > 0 and p["alias"] and p["detail"] is None for p in o["problems"])')" True
lacks "$out" "tok-[inner]-end"
run 0 "$CT" seal "$TMP/d.toml" "${KS[@]}"
run 0 "$CT" check "$TMP/d.toml" "${KS[@]}" --json
valid
equals "$(field 'o["ok"], o["problems"]')" "(True, [])"
# Each kind of problem by its code.
cp "$TMP/d.toml" "$TMP/bad.toml"
sed -i 's/^admin_password = .*/admin_password = "[again]"/' "$TMP/bad.toml"
sed -i 's/^password = "$secret{truststore_password}"/password = "$secret{no_such_alias}"/' "$TMP/bad.toml"
sed -i 's/^api_token = .*/api_token = "vault:v1:notavalue"/' "$TMP/bad.toml"
sed -i 's/^keystore_password = .*/keystore_password = ""/' "$TMP/bad.toml"
run 1 "$CT" check "$TMP/bad.toml" --json
valid
equals "$(field 'sorted((p["alias"], p["code"]) for p in o["problems"])')" \
    "[('admin_password', 'plain-text'), ('api_token', 'not-sealed'), ('keystore_password', 'empty'), ('no_such_alias', 'missing-alias')]"
equals "$(field '[p["detail"] is not None for p in o["problems"] if p["code"] == "not-sealed"]')" "[True]"
lacks "$out" "again"
# Not for this certificate, and does not open with another key.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/other.key" -out "$TMP/other.pem" -subj /CN=other \
    -days 2 2>/dev/null
openssl pkcs12 -export -in "$TMP/other.pem" -inkey "$TMP/other.key" -out "$TMP/other.p12" -passout pass:wso2carbon
run 1 "$CT" check "$TMP/d.toml" --cert "$TMP/other.pem" --json
valid
equals "$(field 'sorted(set(p["code"] for p in o["problems"])), sorted(set(p["detail"] for p in o["problems"]))')" \
    "(['not-for-cert'], ['$TMP/other.pem'])"
run 1 "$CT" check "$TMP/d.toml" -k "$TMP/other.p12" --password-file "$PW" --json
valid
equals "$(field 'sorted(set(p["code"] for p in o["problems"]))')" "['does-not-open']"
# A problem of the whole file: no line, no alias (null in JSON, left out of the text).
printf 'not = [valid toml\n' > "$TMP/broken.toml"
run 1 "$CT" check "$TMP/broken.toml" "$TMP/nosuch.toml" --json
valid
equals "$(field '[(p["file"].split("/")[-1], p["code"], p["line"], p["alias"]) for p in o["problems"]]')" \
    "[('broken.toml', 'unreadable', None, None), ('nosuch.toml', 'unreadable', None, None)]"
run 1 "$CT" check "$TMP/broken.toml" "$TMP/nosuch.toml"
lacks "$err" "line 0"
lacks "$err" 'alias ""'
contains "$err" "$TMP/nosuch.toml: unreadable"
# Failures of the command: usage (exit 2), a keystore that does not open (exit 1).
run 2 "$CT" check --bogus --json "$TMP/d.toml"
failed usage check
run 2 "$CT" check --json
failed usage check
run 1 "$CT" check "$TMP/d.toml" -k "$J/identity.p12" --password-file "$(pwfile wrong)" --json
failed auth check
run 1 "$CT" check "$TMP/d.toml" -k "$TMP/nosuch.p12" --password-file "$PW" --json
valid
equals "$(field 'o["error"]["code"] in ("not-found", "io")')" True

# ---- list ---------------------------------------------------------------------
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$TMP/l.toml"
printf 'x = 1\n' >> "$TMP/l.toml"
run 0 "$CT" list "$TMP/d.toml" "$TMP/l.toml" --json
valid
equals "$(field 'len(o["files"]), sorted(set(s["state"] for s in o["files"][0]["secrets"])), sorted(set(s["state"] for s in o["files"][1]["secrets"]))')" \
    "(2, ['sealed'], ['plain', 'sealed'])"
# The key ids are the certificate's SHA-256, as openssl computes it, typed.
equals "$(field 'sorted(set((k["type"], k["value"]) for s in o["files"][0]["secrets"] for k in s["key_ids"]))')" \
    "[('cert-sha256', '$CERT_SHA256')]"
run 1 "$CT" list "$TMP/nosuch.toml" --json
failed not-found list
run 1 "$CT" list "$TMP/broken.toml" --json
failed format list
run 2 "$CT" list --json
failed usage list

# ---- keystore list / verify -----------------------------------------------------
run 0 "$CT" keystore list "${KS[@]}" --json
valid
equals "$(field '[(e["kind"], [(k["type"], k["value"]) for k in e["key_ids"]], e["chain"][0]["value"], e["key_bits"]) for e in o["entries"]]')" \
    "[('private-key', [('cert-sha256', '$CERT_SHA256'), ('cert-sha1', '$CERT_SHA1')], '$CERT_SHA256', 2048)]"
equals "$(field 'o["entries"][0]["not_after"]')" \
    "$(date -u -d "$(openssl x509 -in "$J/identity.pem" -noout -enddate | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)"
# A secret key entry has no certificate: nulls, not "" or 0.
run 0 "$CT" keystore list -k "$J/internal.p12" --password-file "$PW" --json
valid
equals "$(field '[(e["kind"], e["subject"], e["not_before"], e["key_ids"], e["chain_length"]) for e in o["entries"]]')" \
    "[('secret-key', None, None, [], None)]"
run 1 "$CT" keystore list -k "$J/identity.p12" --password-file "$(pwfile wrong)" --json
failed auth "keystore list"
run 2 "$CT" keystore list --json
failed usage "keystore list"
run 2 "$CT" keystore frobnicate --json
failed usage keystore
# verify: trusted, and not trusted (a report with exit 1), as openssl verify judges them.
openssl pkcs12 -in "$J/signed.p12" -passin pass:wso2carbon -nokeys 2>/dev/null > "$TMP/signed-chain.pem"
openssl verify -CAfile "$J/root.pem" -untrusted "$J/inter.pem" "$J/signed.pem" >/dev/null || fail "openssl: signed does not verify"
! openssl verify -CAfile "$J/root.pem" "$J/identity.pem" >/dev/null 2>&1 || fail "openssl: identity verifies"
run 0 "$CT" keystore verify -k "$J/signed.p12" --password-file "$PW" --truststore "$J/client-truststore.jks" \
    --truststore-password-file "$PW" --json
valid
equals "$(field 'o["trusted"], o["reason"], o["alias"], o["at"]')" "(True, None, None, None)"
run 1 "$CT" keystore verify "${KS[@]}" --truststore "$J/client-truststore.jks" --truststore-password-file "$PW" --json
valid
equals "$(field 'o["trusted"], o["reason"]["code"]')" "(False, 'trust')"
run 1 "$CT" keystore verify "${KS[@]}" --truststore "$TMP/nosuch.jks" --truststore-password-file "$PW" --json
valid
equals "$(field '"error" in o, o["command"]')" "(True, 'keystore verify')"

# ---- encrypt / decrypt ------------------------------------------------------------
run_in 0 "s3cret" "$CT" encrypt --cert "$J/identity.pem" -n db.password --json
valid
equals "$(field 'o["alias"], o["format"], o["key_ids"]')" \
    "('db.password', 'native', [{'type': 'cert-sha256', 'value': '$CERT_SHA256'}])"
v=$(field 'o["value"]')
run_in 0 "$v" "$CT" decrypt "${KS[@]}" -n db.password --json
valid
equals "$(field 'o["value"], o["value_base64"], o["legacy"], o["alias"]')" "('s3cret', 'czNjcmV0', False, 'db.password')"
# A wso2 value opens with openssl; its holder records the SHA-1 of the certificate.
openssl pkcs12 -in "$J/identity.p12" -passin pass:wso2carbon -nocerts -nodes 2>/dev/null | openssl pkey -out "$TMP/id.key"
run_in 0 "pässwörd" "$CT" encrypt "${KS[@]}" --format wso2 --json
valid
equals "$(field 'o["format"], o["key_ids"]')" "('wso2', [])"
field 'o["value"]' | base64 -d > "$TMP/ct.bin"
equals "$(openssl pkeyutl -decrypt -inkey "$TMP/id.key" -in "$TMP/ct.bin" -pkeyopt rsa_padding_mode:oaep)" "pässwörd"
run_in 0 "x" "$CT" encrypt "${KS[@]}" --format wso2-holder --json
valid
equals "$(field '[(k["type"], k["value"]) for k in o["key_ids"]]')" "[('cert-sha1', '$CERT_SHA1')]"
# Bytes that are not UTF-8: value null, value_base64 exact (judged by python's base64).
printf '\377\376ab\000c' > "$TMP/bin"
v=$("$CT" encrypt --cert "$J/identity.pem" < "$TMP/bin")
run_in 0 "$v" "$CT" decrypt "${KS[@]}" --json
valid
equals "$(field 'o["value"], o["value_base64"] == base64.b64encode(open(sys.argv[2], "rb").read()).decode()' "$TMP/bin")" \
    "(None, True)"
# Failures: another key, not a value, usage.
run_in 1 "$v" "$CT" decrypt -k "$TMP/other.p12" --password-file "$PW" --json
valid
equals "$(field 'o["error"]["code"] in ("key", "auth")')" True
run_in 1 "garbage" "$CT" decrypt "${KS[@]}" --json
valid
equals "$(field '"error" in o')" True
run_in 2 "$v" "$CT" decrypt --json
failed usage decrypt
run_in 2 "x" "$CT" encrypt --json
failed usage encrypt
run_in 1 "" "$CT" encrypt --cert "$J/identity.pem" --json
failed error encrypt

# ---- inspect -----------------------------------------------------------------------
run_in 0 "$v" "$CT" inspect --json
valid
run_in 1 "not-a-value" "$CT" inspect --json
failed format inspect
run 2 "$CT" inspect --json --bogus
failed usage inspect
run 2 "$CT" inspect --json a b
failed usage inspect
run_in 1 "" "$CT" inspect --json
failed error inspect

JSON_DIR=$TMP/json validate_all
done_tests
