#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sealing to a bare public key (a PEM "PUBLIC KEY" as `openssl pkey -pubout`
# writes it): EC P-256/P-384/P-521, X25519 and Ed25519 keys are native
# recipients named by the SHA-256 of their SubjectPublicKeyInfo (computed here by
# openssl), and what is sealed opens with the private key, in cipher-tool and
# in open_ec.py (python3-cryptography, following docs/FORMAT.md). A bare RSA
# key, the WSO2 forms, and trust-gated sealing refuse a key without certificate
# with the reason; --allow-untrusted seals to it with a warning.
source "$(dirname "$0")/../cli/lib.sh"
SRC=${VAULT_SOURCE:?}
OPEN_EC=$SRC/tests/vectors/native/open_ec.py
cd "$TMP"
SECRET=0123456789abcdef

spki_id() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -c1-64; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -subj /CN=trust-root -days 30 \
    2>/dev/null || fail "openssl could not make a CA"

for kind in P-256 P-384 P-521 X25519 ED25519; do
    case $kind in
        P-*) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:$kind -out $kind.key ;;
        *) openssl genpkey -algorithm $kind -out $kind.key ;;
    esac
    openssl pkey -in $kind.key -pubout -out $kind.pub
    id=$(spki_id $kind.pub)
    run 0 "$CT" keystore list -k $kind.pub --json
    contains "$out" '"kind": "public-key"'
    run_in 0 "$SECRET" "$CT" encrypt --cert $kind.pub -n db.password
    v=${out#db.password=}
    contains "$v" "vault:v1:"
    # the stanza names the key by its SubjectPublicKeyInfo, as openssl hashes it
    run_in 0 "$v" "$CT" inspect
    contains "$out" "$id"
    run_in 0 "$v" "$CT" decrypt -k $kind.key -n db.password
    equals "$out" "$SECRET"
    equals "$(python3 "$OPEN_EC" $kind.key db.password "$v")" "$(hex "$SECRET")"
    # the same value opens with the key's certificate-less keystore, not with another key
    run_in 1 "$v" "$CT" decrypt -k ca.key -n db.password
    lacks "$err" "$SECRET"
    # trust-gated sealing: a bare key is no certificate a truststore can vouch for
    run_in 1 "$SECRET" "$CT" encrypt --cert $kind.pub --truststore ca.pem -n db.password
    contains "$err" "refusing to seal to key $id of $kind.pub"
    contains "$err" "$kind.pub: alias \"$kind\" is a bare key without certificate: a truststore cannot vouch for it"
    equals "$out" ""
    run_in 0 "$SECRET" "$CT" encrypt --cert $kind.pub --truststore ca.pem --allow-untrusted -n db.password
    contains "$err" "warning: sealing to an untrusted key $id of $kind.pub"
    equals "$(python3 "$OPEN_EC" $kind.key db.password "${out#db.password=}")" "$(hex "$SECRET")"
    # the WSO2 forms need an RSA certificate
    run_in 1 "$SECRET" "$CT" encrypt --cert $kind.pub --format wso2 -n db.password
    contains "$err" "the wso2 format needs an RSA certificate"
done

# a private key alone is refused by the truststore gate in the same words
run_in 1 "$SECRET" "$CT" encrypt -k X25519.key --truststore ca.pem -n db.password
contains "$err" "X25519.key: alias \"X25519\" is a bare key without certificate"

# a value for a certificate and two bare keys opens with each
openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.pem -subj /CN=rsa-box -days 30 2>/dev/null
run_in 0 "$SECRET" "$CT" encrypt --cert rsa.pem --cert P-256.pub --cert ED25519.pub -n db.password
v=${out#db.password=}
for k in rsa.key P-256.key ED25519.key; do
    run_in 0 "$v" "$CT" decrypt -k $k -n db.password
    equals "$out" "$SECRET"
done

# a config sealed to bare keys; recipients add and remove name them by file too
value_of() { sed -n -E "s/^\"?$1\"? = [\"'](.*)[\"']\$/\1/p" "$2"; }
printf '[server]\nhostname = "h"\n\n[secrets]\ndb_password = "[%s]"\n' "$SECRET" > deployment.toml
run 0 "$CT" seal deployment.toml --cert P-384.pub
run 0 "$CT" recipients add deployment.toml -k P-384.key --cert X25519.pub --cert rsa.pem
for k in P-384.key X25519.key rsa.key; do
    run_in 0 "$(value_of db_password deployment.toml)" "$CT" decrypt -k $k -n db_password
    equals "$out" "$SECRET"
done
equals "$(python3 "$OPEN_EC" X25519.key db_password "$(value_of db_password deployment.toml)")" "$(hex "$SECRET")"
run 0 "$CT" recipients remove deployment.toml -k rsa.key --cert P-384.pub
run_in 1 "$(value_of db_password deployment.toml)" "$CT" decrypt -k P-384.key -n db_password
run_in 0 "$(value_of db_password deployment.toml)" "$CT" decrypt -k X25519.key -n db_password
equals "$out" "$SECRET"
run 1 "$CT" recipients add deployment.toml -k rsa.key --cert ED25519.pub --truststore ca.pem
contains "$err" "ED25519.pub: alias \"ED25519\" is a bare key without certificate"

# bare RSA public keys: refused with the reason, in both PEM forms
openssl pkey -in rsa.key -pubout -out rsa.pub
openssl rsa -in rsa.key -RSAPublicKey_out -out rsa1.pub 2>/dev/null
for f in rsa.pub rsa1.pub; do
    run 0 "$CT" keystore list -k $f
    contains "$out" "Kind: public key"
    contains "$out" "Key: RSA 2048 bits"
    run_in 1 "$SECRET" "$CT" encrypt --cert $f -n db.password
    contains "$err" "$f: alias \"${f%.pub}\" has no certificate to seal to (the native format names an RSA recipient by its certificate"
    equals "$out" ""
done
done_tests
