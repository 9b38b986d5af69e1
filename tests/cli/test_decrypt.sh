#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cipher-tool decrypt: values Java sealed (fixtures/java/vectors.tsv) come out
# as exactly their bytes; legacy padding warns; failures are one clear error.
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
PW=$(pwfile wso2carbon)
V=$J/vectors.tsv

col() { awk -F'\t' -v id="$1" -v c="$2" '$1 == id { print $c }' "$V"; }

# decrypt_row ID KEYSTORE [OPTIONS]: stdout must be the row's plaintext, byte for byte.
decrypt_row() {
    local id=$1 ks=$2; shift 2
    col "$id" 5 | "$CT" decrypt -k "$J/$ks" --password-file "$PW" "$@" > "$TMP/pt" 2> "$TMP/err" \
        || fail "row $id with $ks: exit $? ($(cat "$TMP/err"))"
    col "$id" 4 | base64 -d > "$TMP/want"
    cmp -s "$TMP/pt" "$TMP/want" || fail "row $id with $ks: $(od -c "$TMP/pt" | head -3)"
    err=$(cat "$TMP/err")
    ok
}

LEGACY="cipher-tool: warning: the value was opened as RSA PKCS#1 v1.5, a legacy padding with which a wrong key or a damaged value gives other bytes instead of an error; re-seal it ('cipher-tool rotate', or encrypt with the default OAEP or the native format), or refuse such values with --no-pkcs1"

run 0 "$CT" decrypt --help
contains "$out" "usage: cipher-tool decrypt -k KEYSTORE [--alias A] [-n SECRET_ALIAS]"
run_in 2 "x" "$CT" decrypt
equals "$err" "cipher-tool: error: missing -k KEYSTORE
cipher-tool: hint: see 'cipher-tool help decrypt'"
run_in 2 "x" "$CT" decrypt -k "$J/identity.jks" --transformation RSA/ECB/OAEPWithSHA-512AndMGF1Padding
contains "$err" "cipher-tool: error: unknown transformation"
run_in 2 "x" "$CT" decrypt -k "$J/identity.jks" VALUE
contains "$err" "unexpected argument \"VALUE\""

# Every RSA row with the PKCS#12 copy of the key, one row of each form and
# transformation with the others (test_java_vectors does all of them); the
# PKCS#1 v1.5 ones warn.
for ks in identity.p12 identity.jks identity.jceks identity-legacy.p12; do
    ids=$(awk -F'\t' '$2 == "raw" || $2 == "holder" { print $1 }' "$V")
    [ "$ks" = identity.p12 ] || ids="0 1 12 13 24 25 36 37"
    for id in $ids; do
        decrypt_row "$id" "$ks"
        case $(col "$id" 3) in
            RSA|RSA/ECB/PKCS1Padding) equals "$err" "$LEGACY" ;;
            *) equals "$err" "" ;;
        esac
    done
done
# Raw rows with their stated transformation, and with a wrong one (one error).
for id in 12 24 36; do
    decrypt_row "$id" identity.p12 --transformation "$(col "$id" 3)"
done
for id in 12 24; do
    col "$id" 5 > "$TMP/in"
    run 1 bash -c "\"$CT\" decrypt -k \"$J/identity.p12\" --password-file \"$PW\" --transformation RSA/ECB/OAEPWithSHA-256AndMGF1Padding < \"$TMP/in\""
    equals "$out" ""
    equals "$err" "cipher-tool: error: $J/identity.p12: alias \"wso2carbon\": decryption failed (wrong key, or a damaged or tampered value)"
done

# AES-GCM rows with internal.p12's secret key.
for id in $(awk -F'\t' '$2 == "gcm-json" { print $1 }' "$V"); do
    decrypt_row "$id" internal.p12
    equals "$err" ""
done

# Blank space around the value, and NAME=VALUE as encrypt -n prints it.
printf '\n  %s \r\n\n' "$(col 25 5)" > "$TMP/in"
"$CT" decrypt -k "$J/identity.jks" --password-file "$PW" < "$TMP/in" > "$TMP/pt"
equals "$(cat "$TMP/pt")" "admin"
printf 'db.password=%s\n' "$(col 25 5)" > "$TMP/in"
"$CT" decrypt -k "$J/identity.jks" --password-file "$PW" < "$TMP/in" > "$TMP/pt"
equals "$(cat "$TMP/pt")" "admin"
run 1 bash -c "\"$CT\" decrypt -k \"$J/identity.jks\" --password-file \"$PW\" -n other < \"$TMP/in\""
equals "$err" "cipher-tool: error: the value on standard input is for \"db.password\", not for \"other\" (-n)"

# Sealed for another key: both thumbprints, and the keystore.
signed=$(keytool -exportcert -rfc -alias signed -keystore "$J/signed.p12" -storepass wso2carbon 2>/dev/null \
    | openssl x509 -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
col 25 5 > "$TMP/in"
run 1 bash -c "\"$CT\" decrypt -k \"$J/signed.p12\" --password-file \"$PW\" < \"$TMP/in\""
equals "$err" "cipher-tool: error: sealed for key E850AA64771C57E84EF7AF37FA523A579DBD2159, keystore has $signed (SHA-1 certificate thumbprints; keystore $J/signed.p12, alias \"signed\")"

# Not a value; nothing on stdin; a damaged value.
run_in 1 "hello world" "$CT" decrypt -k "$J/identity.jks" --password-file "$PW"
equals "$err" "cipher-tool: error: not a sealed value (neither the native format nor base64)
cipher-tool: hint: 'cipher-tool inspect' tells what a value is"
run_in 1 "" "$CT" decrypt -k "$J/identity.jks" --password-file "$PW"
equals "$err" "cipher-tool: error: no value on standard input"
# A damaged raw value of unknown padding: no OAEP padding fits, and PKCS#1
# v1.5 with implicit rejection opens it to other bytes (SECURITY.md), with
# the legacy warning; refusing PKCS#1 v1.5 makes it the one RSA error.
damaged=$(col 24 5 | sed 's/^./A/; s/^AA/BA/')
run_in 0 "$damaged" "$CT" decrypt -k "$J/identity.jks" --password-file "$PW"
equals "$err" "$LEGACY"
[ "$out" != "$(col 24 4 | base64 -d)" ] || fail "a damaged value opened to the secret"
run_in 1 "$damaged" "$CT" decrypt -k "$J/identity.jks" --password-file "$PW" --no-pkcs1
equals "$out" ""
equals "$err" "cipher-tool: error: $J/identity.jks: alias \"wso2carbon\": decryption failed (wrong key, or a damaged or tampered value)"

# Round trip through encrypt, every format, with a non-ASCII secret kept exact.
for f in native wso2 wso2-holder; do
    printf 'ключ-пароль\n' | "$CT" encrypt -k "$J/identity.p12" --password-file "$PW" --format "$f" -n a.b \
        | "$CT" decrypt -k "$J/identity.jks" --password-file "$PW" > "$TMP/pt"
    equals "$(od -An -tx1 "$TMP/pt" | tr -d ' \n')" "$(printf 'ключ-пароль' | od -An -tx1 | tr -d ' \n')"
done
printf 'sym' | "$CT" encrypt -k "$J/internal.p12" --password-file "$PW" --format wso2-symmetric \
    | "$CT" decrypt -k "$J/internal.p12" --password-file "$PW" > "$TMP/pt"
equals "$(cat "$TMP/pt")" "sym"

done_tests
