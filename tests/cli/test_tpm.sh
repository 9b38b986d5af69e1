#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A TPM 2.0 (swtpm, a software TPM started here) as the keystore: an
# RSA-2048 key made inside the TPM, persisted at a handle and written as a
# TSS2 key file; values sealed to its certificate open with the raw RSA
# operation inside the TPM. Independent judges: tpm2-tools and OpenSSL's
# tpm2 provider make and read the keys, openssl makes the certificate,
# python3-cryptography seals WSO2 values.
source "$(dirname "$0")/lib.sh"
for t in swtpm tpm2_createprimary tpm2_evictcontrol openssl python3; do
    command -v $t >/dev/null || fail "$t is missing (scripts/deps.sh installs swtpm, tpm2-tools, tpm2-openssl)"
done
if ! swtpm socket --help 2>/dev/null | grep -q -- '--tpm2'; then
    echo "skipped: this swtpm cannot emulate a TPM 2.0"
    exit 77
fi

# ---- a software TPM on a free loopback port --------------------------------
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
P=
for _ in $(seq 1 20); do
    c=$((20000 + RANDOM % 30000))
    if port_free "$c" && port_free "$((c + 1))"; then P=$c; break; fi
done
[ -n "$P" ] || fail "no free port pair for swtpm"
mkdir "$TMP/tpm"
stop_tpm() { [ -f "$TMP/tpm/pid" ] && kill "$(cat "$TMP/tpm/pid")" 2>/dev/null; rm -rf "$TMP"; }
trap stop_tpm EXIT
if ! swtpm socket --tpm2 --tpmstate dir="$TMP/tpm" --server type=tcp,port=$P --ctrl type=tcp,port=$((P + 1)) \
        --flags not-need-init,startup-clear --daemon --pid file="$TMP/tpm/pid" 2>"$TMP/swtpm.err"; then
    echo "skipped: swtpm cannot run here: $(cat "$TMP/swtpm.err")"
    exit 77
fi
TCTI="swtpm:host=127.0.0.1,port=$P"
export TPM2TOOLS_TCTI=$TCTI TPM2OPENSSL_TCTI=$TCTI TSS2_LOG=all+none
for _ in $(seq 1 50); do port_free "$P" || break; sleep 0.1; done

# A primary storage key persisted at 0x81000000, an RSA-2048 decryption key
# under it with an auth value persisted at 0x81000001, and a second key made
# by OpenSSL's tpm2 provider as a TSS2 key file.
run 0 tpm2_createprimary -C o -G rsa2048 -c "$TMP/prim.ctx"
run 0 tpm2_evictcontrol -C o -c "$TMP/prim.ctx" 0x81000000
run 0 tpm2_flushcontext -t
run 0 tpm2_create -C 0x81000000 -G rsa2048 -p tpm-auth -u "$TMP/k.pub" -r "$TMP/k.priv" \
    -a 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|decrypt'
run 0 tpm2_flushcontext -t
run 0 tpm2_load -C 0x81000000 -u "$TMP/k.pub" -r "$TMP/k.priv" -c "$TMP/k.ctx"
run 0 tpm2_evictcontrol -C o -c "$TMP/k.ctx" 0x81000001
run 0 tpm2_flushcontext -t
run 0 openssl genpkey -provider tpm2 -algorithm RSA -pkeyopt bits:2048 -pkeyopt user-auth:file-auth \
    -pkeyopt parent:0x81000000 -out "$TMP/tpmkey.pem"
contains "$(head -1 "$TMP/tpmkey.pem")" "BEGIN TSS2 PRIVATE KEY"

# Certificates for both public keys, issued by a CA made here.
run 0 tpm2_readpublic -c 0x81000001 -f pem -o "$TMP/h.pub.pem"
run 0 openssl pkey -provider tpm2 -provider default -in "$TMP/tpmkey.pem" -passin pass:file-auth \
    -pubout -out "$TMP/f.pub.pem"
run 0 openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/ca.key" -subj /CN=tpm-test-ca -days 30 -out "$TMP/ca.pem"
run 0 openssl req -new -key "$TMP/ca.key" -subj /CN=tpm-key -out "$TMP/req.csr"
for k in h f; do
    run 0 openssl x509 -req -in "$TMP/req.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -CAcreateserial \
        -force_pubkey "$TMP/$k.pub.pem" -days 30 -out "$TMP/$k.cert.pem"
done

URI="tpm2:handle=0x81000001?pass&tcti=$TCTI"
FURI="tpm2:file=$TMP/tpmkey.pem?tcti=$TCTI"
AUTH=$(pwfile tpm-auth)
FAUTH=$(pwfile file-auth)

# ---- keystore list / verify --------------------------------------------
run 0 "$CT" keystore list -k "$URI" --password-file "$AUTH"
contains "$out" "Type: TPM2"
contains "$out" "Alias: 0x81000001"
contains "$out" "RSA 2048 bits"
lacks "$out" "CN=tpm-key"
run 0 "$CT" keystore list -k "$URI" --password-file "$AUTH" --key-cert "$TMP/h.cert.pem"
contains "$out" "CN=tpm-key"
fp=$(openssl x509 -in "$TMP/h.cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)
contains "$out" "SHA256: $fp"
run 0 "$CT" keystore verify -k "$URI" --password-file "$AUTH" --key-cert "$TMP/h.cert.pem" --truststore "$TMP/ca.pem"
run 0 "$CT" keystore list -k "$FURI" --password-file "$FAUTH" --key-cert "$TMP/f.cert.pem"
contains "$out" "Alias: tpmkey"
contains "$out" "CN=tpm-key"
run 1 "$CT" keystore list -k "$URI" --password-file "$AUTH" --key-cert "$TMP/f.cert.pem"
contains "$err" "is not for a key of this keystore"

# The certificate in an NV index of the TPM (written there by tpm2-tools).
for k in h:0x01c00002 f:0x01c00003; do
    run 0 openssl x509 -in "$TMP/${k%%:*}.cert.pem" -outform DER -out "$TMP/${k%%:*}.cert.der"
    run 0 tpm2_nvdefine "${k#*:}" -C o -s "$(stat -c %s "$TMP/${k%%:*}.cert.der")" \
        -a 'ownerread|ownerwrite|authread|authwrite'
    run 0 tpm2_nvwrite "${k#*:}" -C o -i "$TMP/${k%%:*}.cert.der"
done
run 0 "$CT" keystore list -k "tpm2:handle=0x81000001?pass&cert=0x01c00002&tcti=$TCTI" --password-file "$AUTH"
contains "$out" "CN=tpm-key"
contains "$out" "SHA256: $fp"
run 0 "$CT" keystore verify -k "tpm2:handle=0x81000001?pass&cert=0x01c00002&tcti=$TCTI" --password-file "$AUTH" \
    --truststore "$TMP/ca.pem"
run 1 "$CT" keystore list -k "tpm2:handle=0x81000001?pass&cert=0x01c00003&tcti=$TCTI" --password-file "$AUTH"
contains "$err" "the certificate at TPM NV index 0x01c00003 is not for the key"
run 1 "$CT" keystore list -k "tpm2:handle=0x81000001?pass&cert=0x01c00009&tcti=$TCTI" --password-file "$AUTH"
contains "$err" "no certificate at TPM NV index 0x01c00009"

# ---- a configuration sealed to the certificate, opened in the TPM ----------
CONF=$TMP/deployment.toml
{
    printf '[keystore.primary]\nfile_name = "%s"\n\n[secrets]\n' "$URI"
    for i in $(seq 1 50); do printf 'secret_%d = "[tpm value %d]"\n' "$i" "$i"; done
} > "$CONF"
run 0 "$CT" seal "$CONF" --cert "$TMP/h.cert.pem" --truststore "$TMP/ca.pem"
lacks "$(cat "$CONF")" "[tpm value"
printf 'a=$secret{secret_1}\nb=$secret{secret_50}\n' > "$TMP/tmpl"
run 0 "$CT" render "$TMP/tmpl" --config "$CONF" --password-file "$AUTH"
equals "$out" "$(printf 'a=tpm value 1\nb=tpm value 50')"
run 0 "$CT" exec --config "$CONF" --password-file "$AUTH" --env S=secret_7 -- sh -c 'printf %s "$S"'
equals "$out" "tpm value 7"
run 0 "$CT" check "$CONF" -k "$URI" --password-file "$AUTH"
# the key file of another TPM key does not open them
run 1 "$CT" check "$CONF" -k "$FURI" --password-file "$FAUTH"

# ---- WSO2 values sealed by python3-cryptography, opened in the TPM ---------
wso2() {
    python3 - "$TMP/h.cert.pem" "$1" <<'PY'
import base64, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
pub = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read()).public_key()
pad = {'pkcs1': padding.PKCS1v15(),
       'oaep1': padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None),
       'oaep256': padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA256(), label=None)}[sys.argv[2]]
print(base64.b64encode(pub.encrypt(b'tpm wso2 p@ss', pad)).decode())
PY
}
for p in pkcs1:RSA oaep1:RSA/ECB/OAEPwithSHA1andMGF1Padding oaep256:RSA/ECB/OAEPWithSHA-256AndMGF1Padding; do
    w=$(wso2 "${p%%:*}")
    run_in 0 "$w" "$CT" decrypt -k "$URI" --password-file "$AUTH" --transformation "${p#*:}"
    equals "$out" "tpm wso2 p@ss"
    run_in 0 "$w" "$CT" decrypt -k "$URI" --password-file "$AUTH"
    equals "$out" "tpm wso2 p@ss"
done

# ---- rotation: from a file keystore to the TPM key file and back ------------
run 0 openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/file.key" -subj /CN=file-key -days 30 -out "$TMP/file.pem"
run 0 openssl pkcs12 -export -inkey "$TMP/file.key" -in "$TMP/file.pem" -name filekey -out "$TMP/file.p12" -passout pass:filepass
FPW=$(pwfile filepass)
ROT=$TMP/rotate.toml
printf '[secrets]\ndb = "[db pass]"\napi = "[api key]"\n' > "$ROT"
run 0 "$CT" seal "$ROT" --cert "$TMP/file.pem" --allow-untrusted
run 0 "$CT" rotate "$ROT" --from-keystore "$TMP/file.p12" --from-password-file "$FPW" \
    -k "$FURI" --password-file "$FAUTH" --key-cert "$TMP/f.cert.pem"
run 1 "$CT" check "$ROT" -k "$TMP/file.p12" --password-file "$FPW"
run 0 "$CT" check "$ROT" -k "$FURI" --password-file "$FAUTH"
db=$(sed -n 's/^db = "\(.*\)"$/\1/p' "$ROT")
run_in 0 "$db" "$CT" decrypt -k "$FURI" --password-file "$FAUTH" -n db
equals "$out" "db pass"
run 0 "$CT" rotate "$ROT" --from-keystore "$FURI" --from-password-file "$FAUTH" -k "$TMP/file.p12" --password-file "$FPW"
run 1 "$CT" check "$ROT" -k "$FURI" --password-file "$FAUTH"
run 0 "$CT" check "$ROT" -k "$TMP/file.p12" --password-file "$FPW"
api=$(sed -n 's/^api = "\(.*\)"$/\1/p' "$ROT")
run_in 0 "$api" "$CT" decrypt -k "$TMP/file.p12" --password-file "$FPW" -n api
equals "$out" "api key"

# ---- errors: named, exit 1, never the auth value -----------------------------
v=$(sed -n 's/^secret_2 = "\(.*\)"$/\1/p' "$CONF")
run_in 1 "$v" "$CT" decrypt -k "tpm2:handle=0x81000009?tcti=$TCTI" -n secret_2
contains "$err" "no key at TPM handle 0x81000009"
run_in 1 "$v" "$CT" decrypt -k "tpm2:handle=0x01000001?tcti=$TCTI" -n secret_2
contains "$err" "not a persistent TPM handle"
run_in 1 "$v" "$CT" decrypt -k "tpm2:handle=0x81000001?colour=blue" -n secret_2
contains "$err" "unknown TPM URI attribute \"colour=blue\""
run_in 1 "$v" "$CT" decrypt -k "tpm2:handle=0x81000001?pass&tcti=swtpm:host=127.0.0.1,port=$((P + 2))" \
    --password-file "$AUTH" -n secret_2
contains "$err" "cannot reach the TPM"
# a TSS2 key file named by its path is recognised by its content (the TSS's
# default TCTI does not reach this swtpm: the TPM is named in the error)
run_in 1 "$v" "$CT" decrypt -k "$TMP/tpmkey.pem" --password-file "$FAUTH" -n secret_2
contains "$err" "TPM"
run_in 1 "$v" "$CT" decrypt -k "tpm2:handle=0x81000001?tcti=cmd:touch $TMP/ran" -n secret_2
contains "$err" "is refused"
[ ! -e "$TMP/ran" ] || fail "a cmd: TCTI ran its command"; ok
# every truncation of the key file's DER is refused cleanly, before the TPM is asked
run 0 openssl base64 -d -in <(sed '1d;$d' "$TMP/tpmkey.pem") -out "$TMP/tpmkey.der"
size=$(stat -c %s "$TMP/tpmkey.der")
for n in $(seq 0 7 $((size - 1))) $((size - 1)); do
    { echo "-----BEGIN TSS2 PRIVATE KEY-----"; head -c "$n" "$TMP/tpmkey.der" | openssl base64
      echo "-----END TSS2 PRIVATE KEY-----"; } > "$TMP/cut.pem"
    run_in 1 "$v" "$CT" decrypt -k "tpm2:file=$TMP/cut.pem?tcti=mssim:host=127.0.0.1,port=1" -n secret_2
    contains "$err" "malformed TSS2 key file"
done
printf 'garbage\n' > "$TMP/bad.pem"
run_in 1 "$v" "$CT" decrypt -k "tpm2:file=$TMP/bad.pem?tcti=$TCTI" -n secret_2
contains "$err" "malformed TSS2 key file"
# wrong auth values last: each one counts towards the TPM's lockout
BAD=$(pwfile wrong-auth)
run_in 1 "$v" "$CT" decrypt -k "$URI" --password-file "$BAD" -n secret_2
contains "$err" "wrong auth value"
lacks "$err" "wrong-auth"
run_in 1 "$v" "$CT" decrypt -k "$FURI" --password-file "$BAD" -n secret_2
contains "$err" "wrong auth value"

done_tests
