#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# No PKCS#1 v1.5 padding oracle: 200 conforming blocks (00 02 PS 00 junk)
# and 200 non-conforming ones, made by python3-cryptography's raw RSA with
# the public key, give the same exit status and the same messages (modulo
# the alias) through decrypt, check -k and the runtime (render). Refusing
# PKCS#1 v1.5 (--no-pkcs1) fails both groups alike.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || fail "python3 is needed"
python3 -c 'import cryptography' 2>/dev/null || fail "python3-cryptography is needed"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 30 \
    -subj /CN=oracle 2>/dev/null
openssl pkcs12 -export -inkey "$TMP/key.pem" -in "$TMP/cert.pem" -name oracle \
    -out "$TMP/ks.p12" -passout pass:oraclepw 2>/dev/null
PW=$(pwfile oraclepw)

# good.toml / bad.toml: aliases a1..a200, raw WSO2 values (base64 of one
# RSA block); the plaintexts are random junk, as an attacker's would be.
python3 - "$TMP/cert.pem" "$TMP" <<'PY'
import base64, os, sys
from cryptography import x509
pub = x509.load_pem_x509_certificate(open(sys.argv[1], 'rb').read()).public_key().public_numbers()
n, e, k = pub.n, pub.e, (pub.n.bit_length() + 7) // 8
def seal(m):
    return base64.b64encode(pow(int.from_bytes(m, 'big'), e, n).to_bytes(k, 'big')).decode()
def conforming():
    ps = bytes(b % 255 + 1 for b in os.urandom(8 + os.urandom(1)[0] % 100))
    return b'\x00\x02' + ps + b'\x00' + os.urandom(k - 3 - len(ps))
def nonconforming(i):
    m = bytearray(conforming())
    kind = i % 4
    if kind == 0: m[0] = 1 + os.urandom(1)[0] % 200            # first byte not zero
    elif kind == 1: m[1] = 3 + os.urandom(1)[0] % 250          # not type 2
    elif kind == 2: m[2 + os.urandom(1)[0] % 8] = 0           # padding shorter than 8
    else: m[2:] = bytes(b % 255 + 1 for b in m[2:])            # no separator
    m = bytes(m)
    return m if int.from_bytes(m, 'big') < n else b'\x00' + m[1:]
for name, make in (('good', lambda i: conforming()), ('bad', nonconforming)):
    os.mkdir(os.path.join(sys.argv[2], name))
    with open(os.path.join(sys.argv[2], name, 'deployment.toml'), 'w') as f, \
         open(os.path.join(sys.argv[2], name, 'values'), 'w') as v:
        f.write('[secrets]\n')
        for i in range(1, 201):
            s = seal(make(i))
            f.write('a%d = "%s"\n' % (i, s))
            v.write(s + '\n')
PY
[ "$(wc -l < "$TMP/good/values")" = 200 ] && [ "$(wc -l < "$TMP/bad/values")" = 200 ] || fail "blocks"

# decrypt: one query per block; every exit status and message alike.
for g in good bad; do
    : > "$TMP/$g/decrypt"
    while read -r v; do
        set +e
        printf '%s' "$v" | "$CT" decrypt -k "$TMP/ks.p12" --password-file "$PW" >/dev/null 2>"$TMP/err"
        echo "exit $? $(cat "$TMP/err")" >> "$TMP/$g/decrypt"
        printf '%s' "$v" | "$CT" decrypt -k "$TMP/ks.p12" --password-file "$PW" --no-pkcs1 \
            >/dev/null 2>"$TMP/err"
        echo "refused: exit $? $(cat "$TMP/err")" >> "$TMP/$g/decrypt"
        set -e
    done < "$TMP/$g/values"
done
cmp -s "$TMP/good/decrypt" "$TMP/bad/decrypt" || fail "decrypt tells the groups apart:
$(diff "$TMP/good/decrypt" "$TMP/bad/decrypt" | head -5)"
equals "$(sort -u "$TMP/good/decrypt" | sed 's/:.*//' | tr '\n' '|')" "exit 0 cipher-tool|refused|"
equals "$(grep -c '^refused: exit 1 ' "$TMP/good/decrypt")" 200
ok

# check -k: one run per group over the 200 aliases; same status, same lines.
for g in good bad; do
    for opt in "" --no-pkcs1; do
        set +e
        (cd "$TMP/$g" && "$CT" check deployment.toml -k "$TMP/ks.p12" --password-file "$PW" $opt \
            >/dev/null 2>"$TMP/$g/check$opt")
        echo "exit $?" >> "$TMP/$g/check$opt"
        set -e
    done
done
cmp -s "$TMP/good/check" "$TMP/bad/check" || fail "check -k tells the groups apart"
cmp -s "$TMP/good/check--no-pkcs1" "$TMP/bad/check--no-pkcs1" \
    || fail "check -k --no-pkcs1 tells the groups apart"
equals "$(tail -1 "$TMP/good/check")" "exit 0"
equals "$(grep -c 'opened as RSA PKCS#1 v1.5' "$TMP/good/check")" 200
equals "$(tail -1 "$TMP/good/check--no-pkcs1")" "exit 1"
equals "$(grep -c 'does not open' "$TMP/good/check--no-pkcs1")" 200

# The runtime (render opens every value at start): same status, same messages.
printf 'x=$secret{a1} y=$secret{a200}\n' > "$TMP/template"
for g in good bad; do
    set +e
    (cd "$TMP/$g" && "$CT" render "$TMP/template" --config deployment.toml -k "$TMP/ks.p12" \
        --password-file "$PW" >/dev/null 2>"$TMP/$g/render")
    echo "exit $?" >> "$TMP/$g/render"
    set -e
done
cmp -s "$TMP/good/render" "$TMP/bad/render" || fail "render tells the groups apart"
equals "$(tail -1 "$TMP/good/render")" "exit 0"
for g in good bad; do
    set +e
    (cd "$TMP/$g" && "$CT" render "$TMP/template" --config deployment.toml -k "$TMP/ks.p12" \
        --password-file "$PW" --no-pkcs1 >/dev/null 2>"$TMP/$g/render-refused")
    echo "exit $?" >> "$TMP/$g/render-refused"
    set -e
done
cmp -s "$TMP/good/render-refused" "$TMP/bad/render-refused" \
    || fail "render --no-pkcs1 tells the groups apart"
equals "$(tail -1 "$TMP/good/render-refused")" "exit 1"
contains "$(cat "$TMP/good/render-refused")" "200 of 200 secrets cannot be opened"

# A holder naming "RSA" never weakens an OAEP transformation, and is refused
# before any key operation with --no-pkcs1; keyless check --no-pkcs1 sees it.
h=$(printf 'hsecret' | "$CT" encrypt --cert "$TMP/cert.pem" --format wso2-holder --transformation RSA)
run_in 0 "$h" "$CT" decrypt -k "$TMP/ks.p12" --password-file "$PW"
equals "$out" "hsecret"
run_in 1 "a1=$h" "$CT" decrypt -k "$TMP/ks.p12" --password-file "$PW" --transformation RSA/ECB/OAEPwithSHA1andMGF1Padding
equals "$err" "cipher-tool: error: value of alias \"a1\" is RSA PKCS#1 v1.5 (its holder names \"RSA\"), a legacy padding not taken here: the transformation is RSA/ECB/OAEPwithSHA1andMGF1Padding
cipher-tool: hint: 'cipher-tool inspect' tells what a value is"
run_in 1 "a1=$h" "$CT" decrypt -k "$TMP/ks.p12" --password-file "$PW" --no-pkcs1
contains "$err" "a legacy padding not taken here: PKCS#1 v1.5 values are refused"
printf '[secrets]\nh = "%s"\n' "$h" > "$TMP/holder.toml"
run 0 "$CT" check "$TMP/holder.toml"
run 1 "$CT" check "$TMP/holder.toml" --no-pkcs1
equals "$err" "cipher-tool: error: $TMP/holder.toml: line 2: alias \"h\": RSA PKCS#1 v1.5 value (--no-pkcs1)"
run_in 2 "$h" "$CT" decrypt -k "$TMP/ks.p12" --password-file "$PW" --no-pkcs1 --transformation RSA
contains "$err" "--no-pkcs1 contradicts --transformation RSA/ECB/PKCS1Padding"

# Key use: a truststore (certificates only) is not sealed to unless the
# certificate is named.
keytool -importcert -noprompt -alias trusted -file "$TMP/cert.pem" -keystore "$TMP/trust.jks" \
    -storepass oraclepw -storetype JKS >/dev/null 2>&1 || fail "keytool"
run_in 1 "s3cret" "$CT" encrypt -k "$TMP/trust.jks" --password-file "$PW"
equals "$err" "cipher-tool: error: $TMP/trust.jks holds no private-key entry (a truststore?): refusing to pick one of its 1 certificates to seal to; name the certificate's alias"
equals "$out" ""
run_in 0 "s3cret" "$CT" encrypt -k "$TMP/trust.jks" --password-file "$PW" --alias trusted -n a1
printf '%s' "$out" | "$CT" decrypt -k "$TMP/ks.p12" --password-file "$PW" > "$TMP/pt"
equals "$(cat "$TMP/pt")" "s3cret"

done_tests
