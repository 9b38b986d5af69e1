#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cipher-tool encrypt: what it prints, checked by openssl (which decrypts the
# wso2 values with the same key), and its refusals.
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
PW=$(pwfile wso2carbon)
KEY=$TMP/identity.key
openssl pkcs12 -in "$J/identity.p12" -passin pass:wso2carbon -nocerts -nodes 2>/dev/null \
    | openssl pkey -out "$KEY"

# openssl_open VALUE PADDING-OPTIONS...: the plaintext as hex, by openssl.
openssl_open() {
    local v=$1; shift
    printf '%s' "$v" | base64 -d > "$TMP/ct.bin"
    openssl pkeyutl -decrypt -inkey "$KEY" -in "$TMP/ct.bin" "$@" | od -An -v -tx1 | tr -d ' \n'
}
OAEP1=(-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha1 -pkeyopt rsa_mgf1_md:sha1)
OAEP256=(-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha1)
PKCS1=(-pkeyopt rsa_padding_mode:pkcs1)
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }

# --help and usage errors (exit 2).
run 0 "$CT" encrypt --help
contains "$out" "usage: cipher-tool encrypt (-k KEYSTORE [--alias A] | --cert CERT)... [options]"
contains "$out" "example:"
equals "$err" ""
run 0 "$CT" help encrypt
contains "$out" "usage: cipher-tool encrypt"
run_in 2 "x" "$CT" encrypt --format wso2
equals "$err" "cipher-tool: error: missing recipient: -k KEYSTORE or --cert CERT
cipher-tool: hint: see 'cipher-tool help encrypt'"
run_in 2 "x" "$CT" encrypt -k "$J/identity.jks" --password-file "$PW" s3cret
equals "$err" "cipher-tool: error: unexpected argument \"s3cret\" (the secret is read from standard input or the terminal, never from the command line)
cipher-tool: hint: see 'cipher-tool help encrypt'"
run_in 2 "x" "$CT" encrypt -k "$J/identity.jks" --bogus
equals "$err" "cipher-tool: error: unknown option \"--bogus\"
cipher-tool: hint: see 'cipher-tool help encrypt'"
run_in 2 "x" "$CT" encrypt -k
equals "$err" "cipher-tool: error: option -k needs a value
cipher-tool: hint: see 'cipher-tool help encrypt'"
run_in 2 "x" "$CT" encrypt -k "$J/identity.jks" --format rot13
contains "$err" "cipher-tool: error: unknown format \"rot13\""
run_in 2 "x" "$CT" encrypt -k "$J/identity.jks" --transformation RSA/ECB/NoPadding
contains "$err" "cipher-tool: error: unknown transformation \"RSA/ECB/NoPadding\""
equals "$out" ""

# wso2 raw, every transformation: one line of padded base64 that openssl opens.
for t in RSA RSA/ECB/PKCS1Padding RSA/ECB/OAEPwithSHA1andMGF1Padding RSA/ECB/OAEPWithSHA-256AndMGF1Padding default; do
    args=(--transformation "$t"); opts=()
    case $t in
        RSA|RSA/ECB/PKCS1Padding) opts=("${PKCS1[@]}") ;;
        *SHA-256*) opts=("${OAEP256[@]}") ;;
        default) args=(); opts=("${OAEP1[@]}") ;;
        *) opts=("${OAEP1[@]}") ;;
    esac
    run_in 0 "pässwörd-密码" "$CT" encrypt -k "$J/identity.jks" --password-file "$PW" --format wso2 "${args[@]}"
    equals "$err" ""
    [[ $out =~ ^[A-Za-z0-9+/]{342}==$ ]] || fail "not one 256-byte block in base64: $out"
    ok
    equals "$(openssl_open "$out" "${opts[@]}")" "$(hex "pässwörd-密码")"
done

# stdin: all of it, less ONE trailing newline (LF or CRLF).
printf 'a\n\n' | "$CT" encrypt -k "$J/identity.jks" --password-file "$PW" --format wso2 > "$TMP/v" 2>"$TMP/e"
equals "$(openssl_open "$(cat "$TMP/v")" "${OAEP1[@]}")" "610a"
printf 'a b\r\n' | "$CT" encrypt -k "$J/identity.jks" --password-file "$PW" --format wso2 > "$TMP/v"
equals "$(openssl_open "$(cat "$TMP/v")" "${OAEP1[@]}")" "612062"
# The output is the value and one newline.
equals "$(wc -l < "$TMP/v")" "1"
equals "$(tail -c 1 "$TMP/v" | od -An -tx1 | tr -d ' ')" "0a"

# -n: ALIAS=VALUE.
run_in 0 "secret" "$CT" encrypt -k "$J/identity.p12" --password-file "$PW" --format wso2 -n db.password
[[ $out =~ ^db\.password=[A-Za-z0-9+/]{342}==$ ]] || fail "not NAME=VALUE: $out"
ok
equals "$(openssl_open "${out#db.password=}" "${OAEP1[@]}")" "$(hex secret)"

# The holder form, sealed to the bare certificate: Gson's JSON, with the
# SHA-1 thumbprint openssl computes.
tp=$(openssl x509 -inform der -in "$J/identity.cer" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
run_in 0 "admin" "$CT" encrypt --cert "$J/identity.pem" --format wso2-holder --transformation RSA
json=$(printf '%s' "$out" | base64 -d)
[[ $json =~ ^\{\"c\":\"([A-Za-z0-9+/]+)(\\u003d)*\",\"t\":\"RSA\",\"tp\":\"$tp\",\"tpd\":\"SHA-1\"\}$ ]] \
    || fail "holder JSON: $json"
ok
c=$(printf '%s' "$json" | sed 's/^{"c":"//; s/",.*//; s/\\u003d/=/g')
equals "$(openssl_open "$c" "${PKCS1[@]}")" "$(hex admin)"

# Length limits: 214 bytes with OAEP-SHA1 and a 2048-bit key; 215 refused.
run_in 0 "$(head -c 214 /dev/zero | tr '\0' x)" "$CT" encrypt -k "$J/identity.jks" --password-file "$PW" --format wso2
run_in 1 "$(head -c 215 /dev/zero | tr '\0' x)" "$CT" encrypt -k "$J/identity.jks" --password-file "$PW" --format wso2
equals "$out" ""
equals "$err" "cipher-tool: error: value of 215 bytes is too long for one 2048-bit RSA block (at most 214 bytes with this padding); use the native format, which has no length limit"
run_in 1 "$(head -c 246 /dev/zero | tr '\0' x)" "$CT" encrypt -k "$J/identity.jks" --password-file "$PW" --format wso2-holder --transformation RSA
contains "$err" "(at most 245 bytes with this padding)"
run_in 0 "$(head -c 5000 /dev/zero | tr '\0' x)" "$CT" encrypt -k "$J/identity.jks" --password-file "$PW"
contains "$out" "vault:v1:"

# Nothing to seal; two recipients for a one-recipient format; a symmetric key file.
run_in 1 "" "$CT" encrypt -k "$J/identity.jks" --password-file "$PW" --format wso2
equals "$err" "cipher-tool: error: the secret is empty; nothing to seal"
run_in 1 $'\n' "$CT" encrypt -k "$J/identity.jks" --password-file "$PW" --format wso2
equals "$err" "cipher-tool: error: the secret is empty; nothing to seal"
run_in 2 "x" "$CT" encrypt -k "$J/identity.jks" --password-file "$PW" --cert "$J/identity.pem" --format wso2
contains "$err" "the wso2 format has one recipient"

# wso2-symmetric: AES-GCM JSON with a 128-byte IV, under internal.p12's key.
run_in 0 "token" "$CT" encrypt -k "$J/internal.p12" --password-file "$PW" --format wso2-symmetric
json=$(printf '%s' "$out" | base64 -d)
[[ $json =~ ^\{\"cipherText\":\"[A-Za-z0-9+/]+(\\u003d)*\",\"iv\":\"([A-Za-z0-9+/]{171})\\u003d\"\}$ ]] \
    || fail "symmetric JSON: $json"
ok
equals "$(printf '%s=' "${BASH_REMATCH[2]}" | base64 -d | wc -c)" "128"

# A wrong store password names the file.
BAD=$(pwfile nope)
run_in 1 "x" "$CT" encrypt -k "$J/identity.jks" --password-file "$BAD" --format wso2
contains "$err" "cipher-tool: error: $J/identity.jks"
equals "$out" ""

done_tests
