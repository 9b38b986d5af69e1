#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A PKCS#11 token (SoftHSM2, initialised here) as the keystore: the key is
# made non-extractable on the token, values sealed to its certificate open
# with the private-key operation inside the token, one C_Decrypt for a whole
# configuration (counted by a module of ours between us and SoftHSM2).
# Independent judges: pkcs11-tool reads the key's attributes, openssl makes
# the certificate, python3-cryptography seals WSO2 values.
source "$(dirname "$0")/lib.sh"
for t in softhsm2-util pkcs11-tool python3; do
    command -v $t >/dev/null || fail "$t is missing (scripts/deps.sh installs it)"
done
SOFTHSM=
for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
    [ -f "$m" ] && SOFTHSM=$m && break
done
[ -n "$SOFTHSM" ] || fail "libsofthsm2.so not found"
COUNT=${P11COUNT:?}

mkdir "$TMP/tokens"
export SOFTHSM2_CONF=$TMP/softhsm2.conf
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$TMP" > "$SOFTHSM2_CONF"
run 0 softhsm2-util --init-token --free --label vault-test --so-pin 87654321 --pin 246810
P11="pkcs11-tool --module $SOFTHSM --token-label vault-test"

# ---- an RSA-2048 key made on the token: sensitive, never extractable -----
run 0 $P11 --login --pin 246810 --keypairgen --key-type rsa:2048 --label vault-key --id 4b01 --sensitive
run 0 $P11 --login --pin 246810 --list-objects --type privkey
contains "$out" "never extractable"
contains "$out" "sensitive"
lacks "$out" "Access:     extractable"
set +e; $P11 --login --pin 246810 --read-object --type privkey --label vault-key -o "$TMP/priv.der" >/dev/null 2>&1; set -e
[ ! -s "$TMP/priv.der" ] || fail "the private key was read out of the token"; ok

# Its certificate, issued by a CA made here, stored beside it (same CKA_ID).
run 0 $P11 --read-object --type pubkey --label vault-key -o "$TMP/pub.der"
run 0 openssl pkey -pubin -inform DER -in "$TMP/pub.der" -out "$TMP/pub.pem"
run 0 openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/ca.key" -subj /CN=vault-test-ca -days 30 -out "$TMP/ca.pem"
run 0 openssl req -new -key "$TMP/ca.key" -subj /CN=vault-token-key -out "$TMP/req.csr"
run 0 openssl x509 -req -in "$TMP/req.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial \
    -force_pubkey "$TMP/pub.pem" -days 30 -out "$TMP/cert.pem"
run 0 openssl x509 -in "$TMP/cert.pem" -outform DER -out "$TMP/cert.der"
run 0 $P11 --login --pin 246810 --write-object "$TMP/cert.der" --type cert --label vault-key --id 4b01

URI="pkcs11:token=vault-test;object=vault-key?module-path=$SOFTHSM"
PIN=$(pwfile 246810)

# ---- keystore list / verify --------------------------------------------
run 0 "$CT" keystore list -k "$URI" --password-file "$PIN"
contains "$out" "Type: PKCS11"
contains "$out" "Alias: vault-key"
contains "$out" "RSA 2048 bits"
contains "$out" "CN=vault-token-key"
fp=$(openssl x509 -in "$TMP/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)
contains "$out" "SHA256: $fp"
run 0 "$CT" keystore verify -k "$URI" --password-file "$PIN" --truststore "$TMP/ca.pem"

# ---- 1,000 native values sealed to the certificate, opened in the token --
CONF=$TMP/deployment.toml
{
    printf '[keystore.primary]\nfile_name = "pkcs11:token=vault-test;object=vault-key?module-path=%s"\n\n' "$COUNT"
    printf '[secrets]\n'
    for i in $(seq 1 1000); do printf 'secret_%d = "[value number %d]"\n' "$i" "$i"; done
    printf '\n[app]\nfirst = "$secret{secret_1}"\n'
} > "$CONF"
run 0 "$CT" seal "$CONF" --cert "$TMP/cert.pem" --truststore "$TMP/ca.pem"
contains "$err" "sealed 1000 secrets"
lacks "$(cat "$CONF")" "[value number"

export P11COUNT_MODULE=$SOFTHSM P11COUNT_LOG=$TMP/decrypts
printf 'a=$secret{secret_1}\nb=$secret{secret_1000}\n' > "$TMP/tmpl"
rm -f "$P11COUNT_LOG"
run 0 "$CT" render "$TMP/tmpl" --config "$CONF" --password-file "$PIN"
equals "$out" "$(printf 'a=value number 1\nb=value number 1000')"
equals "$(wc -l < "$P11COUNT_LOG")" "1"

rm -f "$P11COUNT_LOG"
run 0 "$CT" check "$CONF" -k "pkcs11:token=vault-test;object=vault-key?module-path=$COUNT" --password-file "$PIN"
equals "$(wc -l < "$P11COUNT_LOG")" "1"

rm -f "$P11COUNT_LOG"
run 0 "$CT" exec --config "$CONF" --password-file "$PIN" --env S=secret_777 -- sh -c 'printf %s "$S"'
equals "$out" "value number 777"
equals "$(wc -l < "$P11COUNT_LOG")" "1"
unset P11COUNT_LOG

# A value moved to another alias does not open, with the token as with files.
v2=$(sed -n 's/^secret_2 = "\(.*\)"$/\1/p' "$CONF")
printf '%s' "$v2" > "$TMP/v2"
run_in 1 "$v2" "$CT" decrypt -k "$URI" --password-file "$PIN" -n secret_3
run_in 0 "$v2" "$CT" decrypt -k "$URI" --password-file "$PIN" -n secret_2
equals "$out" "value number 2"

# ---- WSO2 values sealed by python3-cryptography, opened in the token ------
wso2() {
    python3 - "$TMP/cert.pem" "$1" <<'PY'
import base64, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
pub = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read()).public_key()
pad = {'pkcs1': padding.PKCS1v15(),
       'oaep1': padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None),
       'oaep256': padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA256(), label=None)}[sys.argv[2]]
print(base64.b64encode(pub.encrypt(b'wso2 p@ss', pad)).decode())
PY
}
for p in pkcs1:RSA oaep1:RSA/ECB/OAEPwithSHA1andMGF1Padding oaep256:RSA/ECB/OAEPWithSHA-256AndMGF1Padding; do
    wso2 "${p%%:*}" > "$TMP/w"
    run_in 0 "$(cat "$TMP/w")" "$CT" decrypt -k "$URI" --password-file "$PIN" --transformation "${p#*:}"
    equals "$out" "wso2 p@ss"
    # padding not recorded: one raw decryption in the token, every padding tried here
    run_in 0 "$(cat "$TMP/w")" "$CT" decrypt -k "$URI" --password-file "$PIN"
    equals "$out" "wso2 p@ss"
done

# ---- rotation: from a file keystore to the token key and back -------------
run 0 openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/file.key" -subj /CN=file-key -days 30 -out "$TMP/file.pem"
run 0 openssl pkcs12 -export -inkey "$TMP/file.key" -in "$TMP/file.pem" -name filekey -out "$TMP/file.p12" -passout pass:filepass
FPW=$(pwfile filepass)
ROT=$TMP/rotate.toml
printf '[secrets]
db = "[db pass]"
api = "[api key]"
' > "$ROT"
run 0 "$CT" seal "$ROT" --cert "$TMP/file.pem" --allow-untrusted
run 0 "$CT" check "$ROT" -k "$TMP/file.p12" --password-file "$FPW"
run 0 "$CT" rotate "$ROT" --from-keystore "$TMP/file.p12" --from-password-file "$FPW" -k "$URI" --password-file "$PIN"
run 1 "$CT" check "$ROT" -k "$TMP/file.p12" --password-file "$FPW"
run 0 "$CT" check "$ROT" -k "$URI" --password-file "$PIN"
printf '%s' "$(sed -n 's/^db = "\(.*\)"$/\1/p' "$ROT")" > "$TMP/db"
run_in 0 "$(cat "$TMP/db")" "$CT" decrypt -k "$URI" --password-file "$PIN" -n db
equals "$out" "db pass"
run 0 "$CT" rotate "$ROT" --from-keystore "$URI" --from-password-file "$PIN" -k "$TMP/file.p12" --password-file "$FPW"
run 1 "$CT" check "$ROT" -k "$URI" --password-file "$PIN"
run 0 "$CT" check "$ROT" -k "$TMP/file.p12" --password-file "$FPW"
printf '%s' "$(sed -n 's/^api = "\(.*\)"$/\1/p' "$ROT")" > "$TMP/api"
run_in 0 "$(cat "$TMP/api")" "$CT" decrypt -k "$TMP/file.p12" --password-file "$FPW" -n api
equals "$out" "api key"

# ---- a token key without its certificate: --key-cert gives it --------------
run 0 $P11 --login --pin 246810 --delete-object --type cert --label vault-key
run 0 $P11 --login --pin 246810 --list-objects --type cert
lacks "$out" "vault-key"
run 0 "$CT" keystore list -k "$URI" --password-file "$PIN"
contains "$out" "Alias: vault-key"
lacks "$out" "CN=vault-token-key"
run 0 "$CT" keystore list -k "$URI" --password-file "$PIN" --key-cert "$TMP/cert.der"
contains "$out" "CN=vault-token-key"
contains "$out" "SHA256: $fp"
run 0 "$CT" keystore verify -k "$URI" --password-file "$PIN" --key-cert "$TMP/cert.pem" --truststore "$TMP/ca.pem"
run 1 "$CT" keystore verify -k "$URI" --password-file "$PIN" --truststore "$TMP/ca.pem"
run 0 "$CT" render "$TMP/tmpl" --config "$CONF" -k "$URI" --password-file "$PIN" --key-cert "$TMP/cert.pem"
equals "$out" "$(printf 'a=value number 1\nb=value number 1000')"
run 0 "$CT" exec --config "$CONF" -k "$URI" --password-file "$PIN" --key-cert "$TMP/cert.pem" --env S=secret_5 -- sh -c 'printf %s "$S"'
equals "$out" "value number 5"
# a certificate for another key, or beside a file keystore: refused
run 1 "$CT" keystore list -k "$URI" --password-file "$PIN" --key-cert "$TMP/file.pem"
contains "$err" "file.pem is not for a key of this keystore"
run 1 "$CT" keystore list -k "$URI" --password-file "$PIN" --key-cert "$URI"
contains "$err" "the certificate of a key is a file"
run 1 "$CT" keystore list -k "$URI" --password-file "$PIN" --key-cert "$TMP/file.p12"
run 1 "$CT" keystore list -k "$TMP/file.p12" --password-file "$FPW" --key-cert "$TMP/file.pem"
contains "$err" "goes only beside a key held in a PKCS#11 token"

# ---- errors: named, exit 1, never the PIN --------------------------------
BAD=$(pwfile 999999)
run_in 1 "$v2" "$CT" decrypt -k "$URI" --password-file "$BAD" -n secret_2
contains "$err" "wrong PIN for token \"vault-test\""
lacks "$err" "999999"
run_in 1 "$v2" "$CT" decrypt -k "pkcs11:token=absent;object=vault-key?module-path=$SOFTHSM" --password-file "$PIN" -n secret_2
contains "$err" "no token matching token=\"absent\""
contains "$err" "\"vault-test\""
run_in 1 "$v2" "$CT" decrypt -k "pkcs11:token=vault-test;object=other?module-path=$SOFTHSM" --password-file "$PIN" -n secret_2
contains "$err" "no RSA private key with label \"other\" on token \"vault-test\""
contains "$err" "\"vault-key\""
run_in 1 "$v2" "$CT" decrypt -k "pkcs11:token=vault-test;object=vault-key?module-path=$TMP/none.so" --password-file "$PIN" -n secret_2
contains "$err" "cannot load PKCS#11 module"
run_in 1 "$v2" "$CT" decrypt -k "pkcs11:token=vault-test;object=vault-key?pin-value=246810&module-path=$SOFTHSM" -n secret_2
contains "$err" "PIN in it is refused"
lacks "$err" "246810"
run_in 1 "$v2" "$CT" decrypt -k "pkcs11:token=vault-test;colour=blue?module-path=$SOFTHSM" --password-file "$PIN" -n secret_2
contains "$err" "unsupported attribute \"colour\""

done_tests
