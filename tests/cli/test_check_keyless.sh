#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Keyless check of raw WSO2 values: an RSA block is taken for a sealed value only when its
# size is a plausible key's (1024 to 8192 bits in steps of 64); with --cert, exactly that
# certificate's. openssl makes the blocks and the certificates.
source "$(dirname "$0")/lib.sh"

mkcert() { # BITS: $TMP/kBITS.key, $TMP/kBITS.pem
    openssl req -x509 -newkey "rsa:$1" -nodes -keyout "$TMP/k$1.key" -out "$TMP/k$1.pem" \
        -subj "/CN=k$1" -days 2 2>/dev/null || fail "openssl req rsa:$1"
}
# raw BITS: a raw WSO2 value (base64 of one PKCS#1 v1.5 block) openssl sealed for kBITS.
raw() { printf 'secret' | openssl pkeyutl -encrypt -certin -inkey "$TMP/k$1.pem" | base64 -w0; }
# check_one EXIT VALUE [ARGS...]: a one-value cipher-text.properties checked without a key.
check_one() {
    local want=$1 value=$2
    shift 2
    printf 'Db.Password=%s\n' "$value" > "$TMP/cipher-text.properties"
    run "$want" "$CT" check "$TMP/cipher-text.properties" "$@"
}

for bits in 1024 1536 2048 3072 4096; do
    mkcert $bits
    v=$(raw $bits)
    equals "$(printf '%s' "$v" | base64 -d | wc -c)" $((bits / 8))
    check_one 0 "$v"
    contains "$err" "no plain text secret"
done

# Random bytes of sizes no RSA key of ours has: not a sealed value, exit 1 at once.
for n in 64 96 120 127 130 200 250 255 257 258 384 1025 1032 1100 2048; do
    v=$(head -c $n /dev/urandom | base64 -w0)
    case $n in
        200 | 384) check_one 0 "$v" ;; # 1600- and 3072-bit blocks, as far as can be told keyless
        *)
            check_one 1 "$v"
            contains "$err" "$TMP/cipher-text.properties: line 1: alias \"Db.Password\": not a sealed value"
            contains "$err" "$n bytes is no RSA block"
            ;;
    esac
done
# ... the same through --json
v=$(head -c 257 /dev/urandom | base64 -w0)
check_one 1 "$v" --json
contains "$out" "not a sealed value"

# --cert: a raw block must be exactly the certificate's modulus size.
check_one 0 "$(raw 2048)" --cert "$TMP/k2048.pem"
check_one 1 "$(raw 2048)" --cert "$TMP/k3072.pem"
contains "$err" "alias \"Db.Password\": not sealed for the certificate: $TMP/k3072.pem"
check_one 1 "$(raw 4096)" --cert "$TMP/k2048.pem"
contains "$err" "not sealed for the certificate: $TMP/k2048.pem"
# A holder, as WSO2's CipherHolder writes it: its thumbprint must be the certificate's too.
holder() { # BITS CERT-FOR-TP
    local c tp
    c=$(printf 'secret' | openssl pkeyutl -encrypt -certin -inkey "$TMP/k$1.pem" | base64 -w0 | sed 's/=/\\u003d/g')
    tp=$(openssl x509 -in "$2" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
    printf '{"c":"%s","t":"RSA","tp":"%s","tpd":"SHA-1"}' "$c" "$tp" | base64 -w0
}
check_one 0 "$(holder 2048 "$TMP/k2048.pem")" --cert "$TMP/k2048.pem"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/o.key" -out "$TMP/o.pem" -subj /CN=o -days 2 \
    2>/dev/null || fail "openssl req"
check_one 1 "$(holder 2048 "$TMP/o.pem")" --cert "$TMP/k2048.pem"
contains "$err" "not sealed for the certificate: $TMP/k2048.pem"
check_one 1 "$(holder 2048 "$TMP/k2048.pem")" --cert "$TMP/k3072.pem"
done_tests
