#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Native values sealed to EC P-256/P-384/P-521, X25519 and Ed25519 keys made by
# keytool and openssl: round trips, every flipped byte, wrong alias, wrong key,
# mixed RSA and EC recipients, recipients add/remove and rotate; every value is
# also opened by open_ec.py (python3-cryptography, following docs/FORMAT.md),
# the independent side of the ECDH + HKDF + ChaCha20-Poly1305 composition.
source "$(dirname "$0")/../cli/lib.sh"
SRC=${VAULT_SOURCE:?}
VEC=$SRC/tests/vectors/native
OPEN_EC=$VEC/open_ec.py
cd "$TMP"
PW=$(pwfile changeit)
SECRET=0123456789abcdef # 16 bytes

# The key id of FORMAT.md 5.1 for a certificate, computed by openssl.
spki_id() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# python_opens KEY.pem ALIAS VALUE: the independent opener gets the secret.
python_opens() { equals "$(python3 "$OPEN_EC" "$1" "$2" "$3")" "$(hex "$SECRET")"; }

# ---- keytool-made PKCS#12 keystores -----------------------------------------
for g in secp256r1 secp384r1 secp521r1 ed25519; do
    if [ $g = ed25519 ]; then alg=(-keyalg Ed25519); else alg=(-keyalg EC -groupname $g); fi
    keytool -genkeypair "${alg[@]}" -alias "k-$g" -dname "CN=$g test" -validity 30 \
        -keystore $g.p12 -storetype PKCS12 -storepass changeit -keypass changeit 2>/dev/null \
        || fail "keytool could not make a $g key"
    keytool -exportcert -rfc -alias "k-$g" -keystore $g.p12 -storepass changeit > $g.crt 2>/dev/null
    openssl pkcs12 -in $g.p12 -nocerts -nodes -passin pass:changeit 2>/dev/null | openssl pkey > $g.key
    run_in 0 "$SECRET" "$CT" encrypt --cert $g.crt -n db.password
    v=${out#db.password=}
    contains "$v" "vault:v1:"
    run_in 0 "$v" "$CT" decrypt -k $g.p12 --password-file "$PW" -n db.password
    equals "$out" "$SECRET"
    python_opens $g.key db.password "$v"
    # wrong alias: the value is bound to db.password
    run_in 1 "$v" "$CT" decrypt -k $g.p12 --password-file "$PW" -n db.user
    contains "$err" '"db.user"'
    lacks "$err" "$SECRET"
    # inspect names the key by its public key
    run_in 0 "$v" "$CT" inspect
    contains "$out" "$(spki_id $g.crt)"
    echo "$v" > $g.value
done

# The size of a one-recipient value for a 16-byte secret (docs/FORMAT.md 4).
equals "$(wc -c < secp256r1.value)" 340 # 339 characters and the newline
equals "$(wc -c < secp384r1.value)" 382
equals "$(wc -c < secp521r1.value)" 430
equals "$(wc -c < ed25519.value)" 296

# Wrong key: a P-256 value opened with the P-384 keystore names both key ids.
run_in 1 "$(cat secp256r1.value)" "$CT" decrypt -k secp384r1.p12 --password-file "$PW" -n db.password
contains "$err" "$(spki_id secp256r1.crt)"
contains "$err" "$(spki_id secp384r1.crt)"
contains "$err" "secp384r1.p12"
contains "$err" '"db.password"'

# Flip every byte of a P-256 and an Ed25519 value: each flip fails (exit 1), none opens.
for g in secp256r1 ed25519; do
    python3 - "$(cat $g.value)" > $g.flips <<'EOF'
import base64, sys
v = sys.argv[1]; t = v[9:]
b = bytearray(base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)))
for i in range(len(b)):
    b[i] ^= 0x01
    print("vault:v1:" + base64.urlsafe_b64encode(bytes(b)).rstrip(b"=").decode())
    b[i] ^= 0x01
EOF
    n=0
    while IFS= read -r f; do
        set +e
        printf '%s' "$f" | "$CT" decrypt -k $g.p12 --password-file "$PW" -n db.password > flip.out 2>flip.err
        rc=$?
        set -e
        [ $rc = 1 ] || fail "$g: flipping byte $n gives exit $rc"
        [ ! -s flip.out ] || fail "$g: flipping byte $n printed output"
        n=$((n + 1))
    done < $g.flips
    [ $n -gt 200 ] || fail "$g: only $n flips"
    ok
done

# ---- openssl-made keys: EC P-256 PEM, X25519 PEM and PKCS#12 ------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key 2>/dev/null
openssl req -new -x509 -key ec.key -subj /CN=ec -days 30 -out ec.crt 2>/dev/null
cat ec.key ec.crt > ec.pem
openssl genpkey -algorithm Ed25519 -out ca.key
openssl req -new -x509 -key ca.key -subj /CN=ca -days 30 -out ca.crt
openssl genpkey -algorithm X25519 -out x.key
openssl pkey -in x.key -pubout -out x.pub
openssl req -new -key ca.key -subj /CN=x25519 -out x.csr
openssl x509 -req -in x.csr -CA ca.crt -CAkey ca.key -force_pubkey x.pub -days 30 -out x.crt 2>/dev/null
openssl pkcs12 -export -inkey x.key -in x.crt -name xk -out x.p12 -passout pass:changeit
cat x.key x.crt > x.pem
run_in 0 "$SECRET" "$CT" encrypt --cert ec.crt -n db.password
v=${out#db.password=}
run_in 0 "$v" "$CT" decrypt -k ec.pem -n db.password
equals "$out" "$SECRET"
python_opens ec.key db.password "$v"
run_in 0 "$SECRET" "$CT" encrypt --cert x.crt -n db.password
v=${out#db.password=}
equals "${#v}" 295
for ks in x.p12 x.pem x.key; do # x.key: no certificate, the key id comes from the key
    run_in 0 "$v" "$CT" decrypt -k $ks --password-file "$PW" -n db.password
    equals "$out" "$SECRET"
done
python_opens x.key db.password "$v"
# A key alone (no certificate) is a recipient too: its key id is its public key's.
run_in 0 "$SECRET" "$CT" encrypt -k x.key -n db.password
run_in 0 "${out#db.password=}" "$CT" decrypt -k x.p12 --password-file "$PW" -n db.password
equals "$out" "$SECRET"
openssl pkey -in x.key -aes256 -passout pass:changeit -out x-enc.key
run_in 0 "$SECRET" "$CT" encrypt -k x-enc.key --key-password-file "$PW" -n db.password
python_opens x.key db.password "${out#db.password=}"
run_in 1 "$SECRET" "$CT" encrypt -k x-enc.key
contains "$err" "x-enc.key"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa-alone.key 2>/dev/null
run_in 1 "$SECRET" "$CT" encrypt -k rsa-alone.key
contains "$err" "no certificate"
run_in 1 "$v" "$CT" decrypt -k ec.pem -n db.password
contains "$err" "$(spki_id x.crt)"
contains "$err" "$(spki_id ec.crt)"
# The WSO2 forms are RSA only.
run_in 1 "$SECRET" "$CT" encrypt --cert ec.crt --format wso2
contains "$err" "RSA"

# ---- mixed recipients, recipients add/remove, rotate ---------------------------
keytool -genkeypair -keyalg RSA -keysize 2048 -alias rsa -dname CN=rsa -validity 30 \
    -keystore rsa.p12 -storetype PKCS12 -storepass changeit -keypass changeit 2>/dev/null
keytool -exportcert -rfc -alias rsa -keystore rsa.p12 -storepass changeit > rsa.crt 2>/dev/null
run_in 0 "$SECRET" "$CT" encrypt --cert rsa.crt --cert secp256r1.crt --cert x.crt -n db.password
v=${out#db.password=}
for ks in rsa.p12 secp256r1.p12 x.p12; do
    run_in 0 "$v" "$CT" decrypt -k $ks --password-file "$PW" -n db.password
    equals "$out" "$SECRET"
done
python_opens secp256r1.key db.password "$v"
python_opens x.key db.password "$v"
# inspect --json types each key id: the RSA certificate's hash, the EC and X25519 public keys'.
run_in 0 "$v" "$CT" inspect --json
equals "$(printf '%s' "$out" | python3 -c 'import json, sys; print(" ".join(k["type"] + "=" + k["value"] for k in json.load(sys.stdin)["key_ids"]))')" \
    "cert-sha256=$(openssl x509 -in rsa.crt -outform DER | sha256sum | cut -c1-64) spki-sha256=$(spki_id secp256r1.crt) spki-sha256=$(spki_id x.crt)"

# Trust: an EC certificate is named by its subject and certificate fingerprint.
run_in 1 "$SECRET" "$CT" encrypt --cert secp256r1.crt --truststore rsa.crt
contains "$err" "CN=secp256r1 test"
contains "$err" "$(openssl x509 -in secp256r1.crt -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)"
run_in 0 "$SECRET" "$CT" encrypt --cert secp256r1.crt --truststore secp256r1.crt

value_of() { sed -n -E "s/^\"?$1\"? = [\"'](.*)[\"']\$/\1/p" "$2"; }
printf '[server]\nhostname = "h"\n\n[secrets]\ndb_password = "[%s]"\napi_token = "[%s]"\n' \
    "$SECRET" "$SECRET" > deployment.toml
run 0 "$CT" seal deployment.toml --cert rsa.crt
run 0 "$CT" recipients add deployment.toml -k rsa.p12 --password-file "$PW" --cert secp384r1.crt --cert ed25519.crt
for a in db_password api_token; do
    for ks in rsa.p12 secp384r1.p12 ed25519.p12; do
        run_in 0 "$(value_of $a deployment.toml)" "$CT" decrypt -k $ks --password-file "$PW" -n $a
        equals "$out" "$SECRET"
    done
    python_opens ed25519.key $a "$(value_of $a deployment.toml)"
done
run 0 "$CT" recipients remove deployment.toml -k secp384r1.p12 --password-file "$PW" --cert rsa.crt
run_in 1 "$(value_of db_password deployment.toml)" "$CT" decrypt -k rsa.p12 --password-file "$PW" -n db_password
run_in 0 "$(value_of db_password deployment.toml)" "$CT" decrypt -k secp384r1.p12 --password-file "$PW" -n db_password
equals "$out" "$SECRET"
run 0 "$CT" recipients remove deployment.toml -k ed25519.p12 --password-file "$PW" --key-id "$(spki_id secp384r1.crt)"
run_in 1 "$(value_of api_token deployment.toml)" "$CT" decrypt -k secp384r1.p12 --password-file "$PW" -n api_token
run 0 "$CT" rotate deployment.toml --from-keystore ed25519.p12 --from-password-file "$PW" --cert secp521r1.crt
run_in 0 "$(value_of api_token deployment.toml)" "$CT" decrypt -k secp521r1.p12 --password-file "$PW" -n api_token
equals "$out" "$SECRET"
python_opens secp521r1.key api_token "$(value_of api_token deployment.toml)"
run_in 1 "$(value_of api_token deployment.toml)" "$CT" decrypt -k ed25519.p12 --password-file "$PW" -n api_token
grep -q "$SECRET" deployment.toml && fail "a secret is left in deployment.toml"
ok

# ---- the known-answer values, opened by the independent side -------------------
n=0
# (tabs become \037: a tab in IFS would merge the empty alias column away)
while IFS=$'\037' read -r expect keys alias pt value note; do
    case $expect in '#'* | expect | '') continue ;; esac
    IFS=, read -ra ks <<< "$keys"
    for k in "${ks[@]}"; do
        [ "$k" != rsa1 ] || continue
        set +e
        got=$(python3 "$OPEN_EC" "$VEC/kat-$k.pem" "$alias" "$value" 2>/dev/null)
        rc=$?
        set -e
        if [ "$expect" = ok ]; then
            [ $rc = 0 ] && [ "$got" = "$pt" ] || fail "open_ec.py: row '$note' key $k: exit $rc, got '$got'"
        else
            [ $rc != 0 ] || fail "open_ec.py opens the $expect row '$note' with key $k"
        fi
        n=$((n + 1))
    done
done < <(tr '\t' '\037' < "$VEC/kat-ec.tsv")
equals "$n" 20

done_tests
