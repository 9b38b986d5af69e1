#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# PKCS#12 MACs beyond OpenSSL 3.0's own check:
# - RFC 9579 PBMAC1 (PBKDF2 + HMAC), as OpenSSL 3.4's -pbmac1_pbkdf2 writes it:
#   files made by pbmac1.py (the RFC's construction on the standard library's
#   PBKDF2 and HMAC) list and open; a wrong password, a tampered MAC or content,
#   a missing key length and an unsupported PRF are refused with the reason.
#   Where python3-cryptography can read PBMAC1 (pyca 43 and later), it judges
#   the same files too.
# - the Windows convention of a MAC computed over no password at all (NULL,
#   not the empty string): a file made by OpenSSL's C API (PKCS12_create and
#   PKCS12_set_mac with a NULL password) lists and opens with an empty password,
#   as OpenSSL's PKCS12_parse() opens it.
source "$(dirname "$0")/../cli/lib.sh"
SRC=${VAULT_SOURCE:?}
PBMAC1="python3 $SRC/tests/interop/pbmac1.py"
cd "$TMP"
SECRET=0123456789abcdef

openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -subj /CN=pbmac1 -days 30 \
    2>/dev/null || fail "openssl could not make a key"
openssl pkcs12 -export -inkey k.pem -in c.pem -name mykey -passout pass:s3cret -out base.p12
PW=$(pwfile s3cret)
WRONG=$(pwfile s3creT)
run_in 0 "$SECRET" "$CT" encrypt --cert c.pem -n db.password
VALUE=${out#db.password=}

# pyca_reads FILE PASSWORD: 0 when python3-cryptography opens FILE with
# PASSWORD, 1 when it refuses; 2 when it cannot read PBMAC1 at all.
pyca_reads() {
    python3 - "$1" "$2" <<'PY'
import sys, warnings
warnings.simplefilter("ignore")
from cryptography.hazmat.primitives.serialization import pkcs12
data, pw = open(sys.argv[1], "rb").read(), sys.argv[2].encode()
try:
    pkcs12.load_pkcs12(data, pw)
except Exception:
    sys.exit(1)
PY
}
judge=0
$PBMAC1 base.p12 probe.p12 s3cret
if pyca_reads probe.p12 s3cret; then judge=1; else echo "note: this python3-cryptography does not read PBMAC1; pbmac1.py alone is the independent side"; fi

# list_opens FILE PWFILE: lists mykey and opens the value with it.
list_opens() {
    run 0 "$CT" keystore list -k "$1" --password-file "$2"
    contains "$out" "Alias: mykey"
    contains "$out" "RSA 2048"
    run_in 0 "$VALUE" "$CT" decrypt -k "$1" --password-file "$2" -n db.password
    equals "$out" "$SECRET"
}

# ---- valid PBMAC1 files: every HMAC and PRF pair OpenSSL 3.4 writes ----------
for pair in "sha256 sha256" "sha512 sha256" "sha512 sha512" "sha1 sha1" "sha384 sha224"; do
    set -- $pair
    f=pb-$1-$2.p12
    $PBMAC1 base.p12 $f s3cret --prf $1 --hmac $2
    list_opens $f "$PW"
    [ $judge = 0 ] || { pyca_reads $f s3cret || fail "pyca refuses $f"; ok; }
    # a wrong password: the store password named, the MAC named, exit 1
    run 1 "$CT" keystore list -k $f --password-file "$WRONG"
    contains "$err" "$f: wrong store password"
    contains "$err" "PBMAC1 MAC does not match"
    [ $judge = 0 ] || { ! pyca_reads $f s3creT || fail "pyca opens $f with a wrong password"; ok; }
done

# a non-ASCII password is PBKDF2's input as UTF-8 bytes (not a BMPString)
openssl pkcs12 -export -inkey k.pem -in c.pem -name mykey -passout 'pass:pässwörd' -out base-u.p12
$PBMAC1 base-u.p12 pb-utf8.p12 'pässwörd'
list_opens pb-utf8.p12 "$(pwfile 'pässwörd')"
[ $judge = 0 ] || { pyca_reads pb-utf8.p12 'pässwörd' || fail "pyca refuses pb-utf8.p12"; ok; }

# an empty password
openssl pkcs12 -export -inkey k.pem -in c.pem -name mykey -passout pass: -out base-e.p12
$PBMAC1 base-e.p12 pb-empty.p12 ''
EMPTY=$(pwfile "")
list_opens pb-empty.p12 "$EMPTY"

# ---- tampering: every byte of the MAC, and bytes of the content it covers -----
f=pb-sha256-sha256.p12
size=$(stat -c %s $f)
mac_at=$((size - 10 - 32)) # the 32-byte MAC precedes the 10-byte macSalt "NOT USED"
flip() { # flip FILE OFFSET OUT
    python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[int(sys.argv[2])]^=1; open(sys.argv[3],"wb").write(d)' "$@"
}
for off in $(seq $mac_at $((mac_at + 31))) 100 700 1500 $((mac_at - 60)); do
    flip $f $off t.p12
    run 1 "$CT" keystore list -k t.p12 --password-file "$PW"
    case "$err" in
        *"PBMAC1 MAC does not match"*|*"malformed"*|*"not a PKCS#12"*|*"unsupported key derivation"*) ok ;;
        *) fail "byte $off flipped: $err" ;;
    esac
    lacks "$out" "Alias: mykey"
done
# the flipped MAC bytes themselves are refused as a MAC mismatch
flip $f $mac_at t.p12
run 1 "$CT" keystore list -k t.p12 --password-file "$PW"
contains "$err" "t.p12: wrong store password, or the keystore was tampered with (its PBMAC1 MAC does not match)"

# ---- refusals that name the cause --------------------------------------------
$PBMAC1 base.p12 nokeylen.p12 s3cret --keylen none
run 1 "$CT" keystore list -k nokeylen.p12 --password-file "$PW"
contains "$err" "nokeylen.p12: the PBMAC1 MAC's PBKDF2 parameters have no key length"
# GOST R 34.11-2012 HMAC as the PRF: a real PRF that OpenSSL 3.0 does not have
$PBMAC1 base.p12 gost.p12 s3cret --prf-oid 1.2.643.7.1.1.4.2
run 1 "$CT" keystore list -k gost.p12 --password-file "$PW"
contains "$err" "gost.p12: unsupported PRF"
contains "$err" "for the PBMAC1 MAC"
lacks "$err" "wrong store password"
# an iteration count past the limit is refused before any work
$PBMAC1 base.p12 slow.p12 s3cret --iter 5000001
run 1 "$CT" keystore list -k slow.p12 --password-file "$PW"
contains "$err" "slow.p12: the MAC iteration count 5000001 is too large"

# ---- the NULL-password convention --------------------------------------------
cat > nullpw.c <<'C'
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <stdio.h>
/* nullpw KEY CERT OUT: PKCS#12 whose bags and MAC use a NULL password. */
int main(int argc, char **argv)
{
    FILE *f;
    EVP_PKEY *key;
    X509 *cert;
    PKCS12 *p12;
    if (argc != 4 || !(f = fopen(argv[1], "r")) || !(key = PEM_read_PrivateKey(f, NULL, NULL, NULL)))
        return 1;
    fclose(f);
    if (!(f = fopen(argv[2], "r")) || !(cert = PEM_read_X509(f, NULL, NULL, NULL)))
        return 1;
    fclose(f);
    /* PKCS12_create with a NULL password makes its MAC over the empty
     * string; the MAC is set again over no password at all. */
    p12 = PKCS12_create(NULL, "mykey", key, cert, NULL, NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
                        NID_pbe_WithSHA1And3_Key_TripleDES_CBC, 2048, 2048, 0);
    if (!p12 || !PKCS12_set_mac(p12, NULL, 0, NULL, 0, 2048, EVP_sha256()))
        return 1;
    if (!(f = fopen(argv[3], "wb")) || !i2d_PKCS12_fp(f, p12))
        return 1;
    return fclose(f) != 0;
}
C
cc -o nullpw nullpw.c -lcrypto 2>cc.err || fail "cannot build the NULL-password maker: $(cat cc.err)"
./nullpw k.pem c.pem nullpw.p12 || fail "nullpw could not write a file"
# independent judges: OpenSSL's own MAC check with no password passes and with
# the empty string fails (so the file really is of the NULL convention)
python3 - nullpw.p12 <<'PY' || fail "the file is not of the NULL-password convention"
import ctypes, ctypes.util, sys
lib = ctypes.CDLL(ctypes.util.find_library("crypto"))
lib.d2i_PKCS12.restype = ctypes.c_void_p
lib.d2i_PKCS12.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]
lib.PKCS12_verify_mac.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
data = open(sys.argv[1], "rb").read()
p = ctypes.c_char_p(data)
p12 = lib.d2i_PKCS12(None, ctypes.byref(p), len(data))
assert p12
sys.exit(0 if lib.PKCS12_verify_mac(p12, None, 0) == 1 and lib.PKCS12_verify_mac(p12, b"", 0) == 0 else 1)
PY
ok
openssl pkcs12 -in nullpw.p12 -nodes -passin pass: 2>/dev/null | grep -q "BEGIN PRIVATE KEY" \
    || fail "openssl does not open the NULL-password file"
list_opens nullpw.p12 "$EMPTY"
run 1 "$CT" keystore list -k nullpw.p12 --password-file "$PW"
contains "$err" "nullpw.p12: wrong store password"
done_tests
