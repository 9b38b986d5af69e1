#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cipher-tool recipients add | remove: rewrapping native values (FORMAT.md 5.4).
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
PW=$(pwfile wso2carbon)
KS1=(-k "$J/identity.p12" --password-file "$PW")
# A second key, made by openssl: key and certificate in one PEM file.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/k2.key" -out "$TMP/k2.pem" -subj /CN=dr-site \
    -days 30 2>/dev/null
cat "$TMP/k2.key" "$TMP/k2.pem" > "$TMP/k2-full.pem"
KS2=(-k "$TMP/k2-full.pem")
id1=$(openssl x509 -in "$J/identity.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
id2=$(openssl x509 -in "$TMP/k2.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)

cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$TMP/d.toml"
cp "$SH/fixtures/wso2-home/repository/conf/security/cipher-text.properties" "$TMP/c.properties"
run 0 "$CT" seal "$TMP/d.toml" "$TMP/c.properties" "${KS1[@]}"
cp "$TMP/d.toml" "$TMP/d.before"
cp "$TMP/c.properties" "$TMP/c.before"

# values FILE: "alias<TAB>value" of every native value (TOML or properties).
values() {
    sed -n -E "s/^\"?([A-Za-z0-9_.]+)\"? = [\"'](vault:v1:[A-Za-z0-9_-]+)[\"']\$/\1\t\2/p; \
               s/^([A-Za-z0-9_.]+)=(vault:v1:[A-Za-z0-9_-]+)\$/\1\t\2/p" "$@"
}
# split VALUE: "<count> <key ids> | <hex of commitment..end>", following FORMAT.md §4 alone.
split() {
    python3 -c '
import base64, sys
p = sys.argv[1][len("vault:v1:"):]
b = base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))
off, ids = 3, []
for _ in range(b[2]):
    ids.append(b[off + 1:off + 33].hex())
    off += 35 + int.from_bytes(b[off + 33:off + 35], "big")
print(b[2], " ".join(sorted(ids)), "|", b[:2].hex() + b[off:].hex())' "$1"
}
# The file with every native value replaced by a marker: the bytes outside the values.
outside() { sed -E 's/vault:v1:[A-Za-z0-9_-]+/VALUE/g' "$1"; }

# add: key 2 becomes a recipient of every native value; the WSO2 value is left and reported.
run 0 "$CT" recipients add "$TMP/d.toml" "$TMP/c.properties" "${KS1[@]}" --cert "$TMP/k2.pem"
contains "$err" "d.toml: added 1 recipient to 6 values"
contains "$err" "c.properties: added 1 recipient to 5 values"
contains "$err" "1 value of a WSO2 format left as it is"
equals "$(outside "$TMP/d.toml")" "$(outside "$TMP/d.before")"
equals "$(outside "$TMP/c.properties")" "$(outside "$TMP/c.before")"
n=0
while IFS=$'\t' read -r alias val; do
    old=$(values "$TMP/d.before" "$TMP/c.before" | awk -F'\t' -v a="$alias" '$1 == a {print $2}')
    [ -n "$old" ] || fail "no old value for $alias"
    before=$(split "$old"); after=$(split "$val")
    # the value part (version, aead, commitment, nonce, ciphertext) is byte-identical
    equals "${after#*|}" "${before#*|}"
    equals "${before%%|*}" "1 $id1 "
    want=$(printf '%s\n%s\n' "$id1" "$id2" | sort | tr '\n' ' ')
    equals "${after%%|*}" "2 $want"
    [ "$val" != "$old" ] || fail "$alias: the stanzas did not change"
    p1=$(printf '%s' "$val" | "$CT" decrypt "${KS1[@]}" -n "$alias")
    p2=$(printf '%s' "$val" | "$CT" decrypt "${KS2[@]}" -n "$alias")
    p0=$(printf '%s' "$old" | "$CT" decrypt "${KS1[@]}" -n "$alias")
    equals "$p1" "$p0"
    equals "$p2" "$p0"
    n=$((n + 1))
done < <(values "$TMP/d.toml"; values "$TMP/c.properties")
equals "$n" 11
equals "$(printf '%s' "$(values "$TMP/c.properties" | awk -F'\t' '$1 == "Log.Password" {print $2}')" \
    | "$CT" decrypt "${KS2[@]}" -n Log.Password)" "log-pässword"
# key 2 could not open the values before
val=$(values "$TMP/d.before" | awk -F'\t' '$1 == "admin_password" {print $2}')
set +e; printf '%s' "$val" | "$CT" decrypt "${KS2[@]}" -n admin_password >/dev/null 2>"$TMP/e"; rc=$?; set -e
equals "$rc" 1
contains "$(cat "$TMP/e")" "$id1"

# remove: key 2 drops key 1 (by certificate); key 1 opens nothing any more.
cp "$TMP/d.toml" "$TMP/d.both"
run 0 "$CT" recipients remove "$TMP/d.toml" "${KS2[@]}" --cert "$J/identity.pem"
contains "$err" "d.toml: removed 1 recipient from 6 values"
equals "$(outside "$TMP/d.toml")" "$(outside "$TMP/d.before")"
while IFS=$'\t' read -r alias val; do
    old=$(values "$TMP/d.before" | awk -F'\t' -v a="$alias" '$1 == a {print $2}')
    after=$(split "$val"); before=$(split "$old")
    equals "${after#*|}" "${before#*|}"
    equals "${after%%|*}" "1 $id2 "
    run 1 sh -c 'printf "%s" "$1" | "$2" decrypt -k "$3" --password-file "$4" -n "$5"' _ "$val" "$CT" \
        "$J/identity.p12" "$PW" "$alias"
    contains "$err" "sealed for key(s) $id2"
done < <(values "$TMP/d.toml")
run 0 "$CT" check "$TMP/c.properties" "${KS2[@]}"
# by key id too (keytool's colon form), on the properties file
kt=$(keytool -list -v -keystore "$J/identity.p12" -storepass wso2carbon | awk '/SHA256:/ {print $2}')
run 0 "$CT" recipients remove "$TMP/c.properties" "${KS2[@]}" --key-id "$kt"
contains "$err" "removed 1 recipient from 5 values"
run 1 "$CT" check "$TMP/c.properties" "${KS1[@]}"

# refusals: the file is left byte for byte as it was
cp "$TMP/d.toml" "$TMP/d.now"
run 1 "$CT" recipients remove "$TMP/d.toml" "${KS2[@]}" --cert "$TMP/k2.pem"
contains "$err" "would leave none"
cmp -s "$TMP/d.toml" "$TMP/d.now" || fail "a refused remove changed the file"; ok
run 1 "$CT" recipients remove "$TMP/d.toml" "${KS2[@]}" --key-id "$id1"
contains "$err" "key id $id1 is not a recipient of any value"
cmp -s "$TMP/d.toml" "$TMP/d.now" || fail "a refused remove changed the file"; ok
run 1 "$CT" recipients add "$TMP/d.toml" "${KS1[@]}" --cert "$TMP/k2.pem"
contains "$err" "alias \"admin_password\""
contains "$err" "file was not changed"
cmp -s "$TMP/d.toml" "$TMP/d.now" || fail "a failed add changed the file"; ok
# one corrupt value: named, nothing written
cp "$TMP/d.both" "$TMP/bad.toml"
sed -i -E 's/^(api_token = .vault:v1:[A-Za-z0-9_-]{880})[B-Za-z0-9_-]/\1A/; t; s/^(api_token = .vault:v1:[A-Za-z0-9_-]{880})A/\1B/' "$TMP/bad.toml"
cmp -s "$TMP/bad.toml" "$TMP/d.both" && fail "corruption did not apply"
cp "$TMP/bad.toml" "$TMP/bad.orig"
run 1 "$CT" recipients remove "$TMP/bad.toml" "${KS1[@]}" --key-id "$id2"
contains "$err" "alias \"api_token\""
lacks "$err" "alias \"admin_password\""
cmp -s "$TMP/bad.toml" "$TMP/bad.orig" || fail "a failed remove changed the file"; ok
run 2 "$CT" recipients add "$TMP/d.toml" "${KS1[@]}"
contains "$err" "missing --cert"
run 2 "$CT" recipients remove "$TMP/d.toml" --key-id "$id1"
contains "$err" "missing -k"
run 2 "$CT" recipients remove "$TMP/d.toml" "${KS1[@]}" --key-id 12:34
run 2 "$CT" recipients frob "$TMP/d.toml"
# A failure before any file is read: the JSON report gives the code of what failed.
run 1 "$CT" recipients add "$TMP/d.toml" "${KS1[@]}" --cert "$TMP/nosuch.pem" --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; e = json.load(sys.stdin)["error"]; print(e["code"], e["message"])')" \
    "not-found $TMP/nosuch.pem: No such file or directory"
cmp -s "$TMP/d.toml" "$TMP/d.now" || fail "a failed add changed the file"; ok

# The trust gate of 'seal' (test_trust.sh): with --truststore an added certificate must chain
# to it, time included, or nothing is written; --allow-untrusted warns and adds.
TS=(--truststore "$J/client-truststore.jks" --truststore-password-file "$PW")
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f; }
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/u.key" -out "$TMP/u.pem" -subj /CN=untrusted-box \
    -days 30 2>/dev/null
cat "$TMP/u.key" "$TMP/u.pem" > "$TMP/u-full.pem"
keytool -genkeypair -alias old -keyalg RSA -keysize 2048 -startdate -10d -validity 2 -dname CN=expired-box \
    -keystore "$TMP/exp.p12" -storetype PKCS12 -storepass changeit 2>/dev/null || fail "keytool"
keytool -exportcert -rfc -alias old -keystore "$TMP/exp.p12" -storepass changeit > "$TMP/exp.pem" 2>/dev/null
openssl x509 -in "$TMP/exp.pem" -noout -checkend 0 >/dev/null && fail "the certificate is not expired"
ok
openssl verify -CAfile "$J/root.pem" -untrusted "$J/inter.pem" "$J/signed.pem" >/dev/null || fail "signed.pem"
ok
ids_of() { values "$1" | while IFS=$'\t' read -r _ v; do split "$v" | cut -d'|' -f1; done | sort -u; }
idsig=$(fp "$J/signed.pem"); idu=$(fp "$TMP/u.pem"); idexp=$(fp "$TMP/exp.pem")

# trusted: added without a word; the signed key opens every value
cp "$TMP/d.before" "$TMP/t.toml"
run 0 "$CT" recipients add "$TMP/t.toml" "${KS1[@]}" --cert "$J/signed.pem" "${TS[@]}"
contains "$err" "t.toml: added 1 recipient to 6 values"
lacks "$err" "certificate"
equals "$(ids_of "$TMP/t.toml")" "2 $(printf '%s\n%s\n' "$id1" "$idsig" | sort | tr '\n' ' ')"
while IFS=$'\t' read -r alias val; do
    old=$(values "$TMP/d.before" | awk -F'\t' -v a="$alias" '$1 == a {print $2}')
    equals "$(printf '%s' "$val" | "$CT" decrypt -k "$J/signed.p12" --password-file "$PW" -n "$alias")" \
        "$(printf '%s' "$old" | "$CT" decrypt "${KS1[@]}" -n "$alias")"
done < <(values "$TMP/t.toml")

# untrusted (self-signed): refused with exit 1, named, with the hint; no file touched,
# also when a trusted certificate comes along
cp "$TMP/d.before" "$TMP/u.toml"
cp "$TMP/c.before" "$TMP/u.properties"
run 1 "$CT" recipients add "$TMP/u.toml" "$TMP/u.properties" "${KS1[@]}" --cert "$TMP/u.pem" "${TS[@]}"
contains "$err" "cipher-tool: error: refusing to seal to certificate \"CN=untrusted-box\" (SHA-256 $idu)"
contains "$err" "self-signed certificate"
contains "$err" "hint: --allow-untrusted"
lacks "$err" "added"
cmp -s "$TMP/u.toml" "$TMP/d.before" || fail "a refused add changed the file"; ok
cmp -s "$TMP/u.properties" "$TMP/c.before" || fail "a refused add changed the file"; ok
run 1 "$CT" recipients add "$TMP/u.toml" "${KS1[@]}" --cert "$J/signed.pem" --cert "$TMP/u.pem" "${TS[@]}"
contains "$err" "\"CN=untrusted-box\" (SHA-256 $idu)"
cmp -s "$TMP/u.toml" "$TMP/d.before" || fail "a refused add changed the file"; ok
# a wrong truststore password is a failure, not a pass
run 1 "$CT" recipients add "$TMP/u.toml" "${KS1[@]}" --cert "$J/signed.pem" \
    --truststore "$J/client-truststore.jks" --truststore-password-file "$(pwfile nope)"
cmp -s "$TMP/u.toml" "$TMP/d.before" || fail "a failed add changed the file"; ok
# --allow-untrusted: a warning, then added; the untrusted key opens the values
run 0 "$CT" recipients add "$TMP/u.toml" "${KS1[@]}" --cert "$TMP/u.pem" "${TS[@]}" --allow-untrusted
contains "$err" "warning: sealing to an untrusted certificate \"CN=untrusted-box\" (SHA-256 $idu)"
contains "$err" "u.toml: added 1 recipient to 6 values"
equals "$(ids_of "$TMP/u.toml")" "2 $(printf '%s\n%s\n' "$id1" "$idu" | sort | tr '\n' ' ')"
val=$(values "$TMP/u.toml" | awk -F'\t' '$1 == "admin_password" {print $2}')
old=$(values "$TMP/d.before" | awk -F'\t' '$1 == "admin_password" {print $2}')
equals "$(printf '%s' "$val" | "$CT" decrypt -k "$TMP/u-full.pem" -n admin_password)" \
    "$(printf '%s' "$old" | "$CT" decrypt "${KS1[@]}" -n admin_password)"

# expired: a warning without a truststore; refused against a truststore that has it as an
# anchor (expiry the one reason)
cp "$TMP/d.before" "$TMP/e.toml"
run 1 "$CT" recipients add "$TMP/e.toml" "${KS1[@]}" --cert "$TMP/exp.pem" --truststore "$TMP/exp.pem"
contains "$err" "refusing to seal to certificate \"CN=expired-box\" (SHA-256 $idexp)"
contains "$err" "certificate has expired"
contains "$err" "hint: --allow-untrusted"
cmp -s "$TMP/e.toml" "$TMP/d.before" || fail "a refused add changed the file"; ok
run 0 "$CT" recipients add "$TMP/e.toml" "${KS1[@]}" --cert "$TMP/exp.pem"
contains "$err" "warning: certificate \"CN=expired-box\" (SHA-256 $idexp)"
contains "$err" "has expired"
contains "$err" "e.toml: added 1 recipient to 6 values"
equals "$(ids_of "$TMP/e.toml")" "2 $(printf '%s\n%s\n' "$id1" "$idexp" | sort | tr '\n' ' ')"

# options that do not go together: usage errors, nothing written
cp "$TMP/d.before" "$TMP/x.toml"
run 2 "$CT" recipients remove "$TMP/x.toml" "${KS1[@]}" --key-id "$id1" "${TS[@]}"
contains "$err" "add only"
run 2 "$CT" recipients remove "$TMP/x.toml" "${KS1[@]}" --key-id "$id1" --allow-untrusted
contains "$err" "add only"
run 2 "$CT" recipients add "$TMP/x.toml" "${KS1[@]}" --cert "$TMP/u.pem" --truststore-password-file "$PW"
contains "$err" "--truststore-password-file without --truststore"
cmp -s "$TMP/x.toml" "$TMP/d.before" || fail "a usage error changed the file"; ok
run 0 "$CT" recipients add --help
contains "$out" "--truststore FILE"
contains "$out" "--allow-untrusted"
done_tests
