#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The sealing decisions the library makes, as the commands print them.
# Without --format, seal takes the algorithm of the WSO2 home governing each file, as
# secret-conf.properties names it (encryptionMode=symmetric, else the algorithm, "RSA" when
# absent); files of homes naming different algorithms are a usage error naming both files,
# and nothing is written. The key file of the symmetric mode is read in its hex spelling.
source "$(dirname "$0")/lib.sh"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/k.key" -out "$TMP/k.pem" -days 3 -subj /CN=home \
    2>/dev/null
home() { # NAME SECRET-CONF-LINE
    mkdir -p "$TMP/$1/repository/conf/security"
    printf '%s\n' "$2" > "$TMP/$1/repository/conf/security/secret-conf.properties"
    printf 'a=[first]\nb=[second]\n' > "$TMP/$1/repository/conf/security/cipher-text.properties"
    echo "$TMP/$1/repository/conf/security"
}
A=$(home a secretRepositories.file.algorithm=RSA/ECB/OAEPWithSHA-256AndMGF1Padding)
B=$(home b secretRepositories.file.encryptionMode=symmetric)
C=$(home c keystore.identity.alias=wso2carbon)
cp "$A/cipher-text.properties" "$TMP/a.orig"
cp "$B/cipher-text.properties" "$TMP/b.orig"

# two homes, two rules: exit 2, both secret-conf.properties named, neither file touched
run 2 "$CT" seal "$A/cipher-text.properties" "$B/cipher-text.properties" --cert "$TMP/k.pem"
equals "$err" "cipher-tool: error: $A/secret-conf.properties and $B/secret-conf.properties name different algorithms; give --format
cipher-tool: hint: see 'cipher-tool help seal'"
cmp -s "$A/cipher-text.properties" "$TMP/a.orig" || fail "a refused seal changed a file"; ok
cmp -s "$B/cipher-text.properties" "$TMP/b.orig" || fail "a refused seal changed a file"; ok

# one home: its algorithm, said so; the values are raw OAEP-SHA256 blocks that
# openssl pkeyutl opens with SHA-256 OAEP and Java's MGF1-SHA1
run 0 "$CT" seal "$A/cipher-text.properties" --cert "$TMP/k.pem"
contains "$err" "cipher-tool: sealing with RSA/ECB/OAEPWithSHA-256AndMGF1Padding, as the WSO2 runtime of the home opens every value ($A/secret-conf.properties)"
v=$(sed -n 's/^a=//p' "$A/cipher-text.properties")
equals "$(printf '%s' "$v" | base64 -d | openssl pkeyutl -decrypt -inkey "$TMP/k.key" \
    -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha1)" "first"

# no algorithm line: WSO2's default "RSA", PKCS#1 v1.5
run 0 "$CT" seal "$C/cipher-text.properties" --cert "$TMP/k.pem"
contains "$err" "sealing with RSA/ECB/PKCS1Padding"
v=$(sed -n 's/^b=//p' "$C/cipher-text.properties")
equals "$(printf '%s' "$v" | base64 -d | openssl pkeyutl -decrypt -inkey "$TMP/k.key" \
    -pkeyopt rsa_padding_mode:pkcs1)" "second"

# the symmetric home: AES-GCM under the key of a hex key file, opened by python3-cryptography
openssl rand -hex 32 > "$TMP/aes.hex"; chmod 600 "$TMP/aes.hex"
run 0 "$CT" seal "$B/cipher-text.properties" --symmetric-key-file "$TMP/aes.hex"
contains "$err" "sealing with the symmetric mode (AES-GCM)"
v=$(sed -n 's/^a=//p' "$B/cipher-text.properties")
equals "$(python3 -c '
import sys, json, base64
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
j = json.loads(base64.b64decode(sys.argv[1]))
k = bytes.fromhex(open(sys.argv[2]).read().strip())
sys.stdout.write(AESGCM(k).decrypt(base64.b64decode(j["iv"]), base64.b64decode(j["cipherText"]), None).decode())
' "$v" "$TMP/aes.hex")" "first"

# a key file of another length: exit 1, the file named, nothing written
cp "$B/cipher-text.properties" "$TMP/b.sealed"
printf 'c=[third]\n' >> "$B/cipher-text.properties"; cp "$B/cipher-text.properties" "$TMP/b.orig"
openssl rand -hex 20 > "$TMP/short.hex"; chmod 600 "$TMP/short.hex"
run 1 "$CT" seal "$B/cipher-text.properties" --symmetric-key-file "$TMP/short.hex"
contains "$err" "cipher-tool: error: $TMP/short.hex: not an AES key (16, 24 or 32 bytes, raw, hex or base64)"
cmp -s "$B/cipher-text.properties" "$TMP/b.orig" || fail "a failed seal changed the file"; ok
# --json: the library's codes, "format" for the key file and "trust" for a recipient the
# truststore (an openssl CA) does not vouch for; sealed files untouched
run 1 "$CT" encrypt --format wso2-symmetric --symmetric-key-file "$TMP/short.hex" --json
contains "$out" '"code": "format"'
contains "$out" "short.hex: not an AES key"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/ca.key" -out "$TMP/ca.pem" -days 3 -subj /CN=ca \
    2>/dev/null
cat "$TMP/k.key" "$TMP/k.pem" > "$TMP/k-full.pem"
printf '[secrets]\na = "[x]"\n' > "$TMP/n.toml"
run 0 "$CT" seal "$TMP/n.toml" -k "$TMP/k-full.pem"
cp "$TMP/n.toml" "$TMP/n.orig"
run 1 "$CT" recipients add "$TMP/n.toml" -k "$TMP/k-full.pem" --cert "$TMP/k.pem" --truststore "$TMP/ca.pem" --json
contains "$out" '"code": "trust"'
contains "$out" "refusing to seal to certificate \\\"CN=home\\\" (SHA-256 $(openssl x509 -in "$TMP/k.pem" -noout \
    -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f))"
contains "$err" "cipher-tool: hint: --allow-untrusted seals to it anyway"
cmp -s "$TMP/n.toml" "$TMP/n.orig" || fail "a refused recipient changed the file"; ok
done_tests
