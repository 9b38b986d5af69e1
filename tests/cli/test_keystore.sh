#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cipher-tool keystore list/verify against keytool's view of the same files.
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
PW=$(pwfile wso2carbon)

# keytool's "SHA1:" / "SHA256:" fingerprint lines, in order, for a keystore.
keytool_fps() { keytool -list -v -keystore "$1" -storepass "$2" 2>/dev/null | grep -E '^\s*SHA(1|256): ' | sed 's/^\s*//'; }
our_fps() { printf '%s\n' "$1" | grep -E '^\s*SHA(1|256): ' | sed 's/^\s*//'; }

for ks in identity.jks identity.p12 identity.jceks client-truststore.jks client-truststore.p12; do
    run 0 "$CT" keystore list -k "$J/$ks" --password-file "$PW"
    contains "$out" "Alias: "
    equals "$(our_fps "$out" | sort)" "$(keytool_fps "$J/$ks" wso2carbon | sort)"
done

run 0 "$CT" keystore list -k "$J/identity.jks" --password-file "$PW"
contains "$out" "Kind: private key"
contains "$out" "Key: RSA 2048 bits"
run 0 "$CT" keystore list -k "$J/internal.p12" --password-file "$PW"
contains "$out" "Kind: secret key"
contains "$out" "Key: AES 256 bits"

# JSON: one object per alias, hex thumbprints equal keytool's.
run 0 "$CT" keystore list -k "$J/identity.p12" --password-file "$PW" --json
sha256=$(keytool -list -v -keystore "$J/identity.p12" -storepass wso2carbon | awk '/SHA256:/ {print $2}' | tr -d : | tr A-F a-f)
contains "$out" "\"value\": \"$sha256\""
contains "$out" "\"kind\": \"private-key\""

# The system truststore (JKS): as many entries as keytool lists.
CA=$(pwfile changeit)
run 0 "$CT" keystore list -k /etc/ssl/certs/java/cacerts --password-file "$CA"
n=$(keytool -list -cacerts -storepass changeit 2>/dev/null | grep -c trustedCertEntry)
contains "$out" "Entries: $n"

# Errors: wrong password, missing file, no password source without a terminal, unsafe mode.
BAD=$(pwfile nope)
run 1 "$CT" keystore list -k "$J/identity.jks" --password-file "$BAD"
contains "$err" "cipher-tool: error: $J/identity.jks"
contains "$err" "password"
run 1 "$CT" keystore list -k "$TMP/none.jks" --password-file "$PW"
contains "$err" "$TMP/none.jks"
run 1 "$CT" keystore list -k "$J/identity.jks"
contains "$err" "no terminal"
chmod 644 "$PW"
run 1 "$CT" keystore list -k "$J/identity.jks" --password-file "$PW"
contains "$err" "0644"
chmod 600 "$PW"
run 2 "$CT" keystore list
run 2 "$CT" keystore frobnicate -k x
run 0 "$CT" keystore --help
contains "$out" "usage: cipher-tool keystore list"

# Password from a descriptor and from an opted-in variable.
run 0 "$CT" keystore list -k "$J/identity.p12" --password-fd 3 3<<<"wso2carbon"
KS_PW=wso2carbon run 0 "$CT" keystore list -k "$J/identity.p12" --password-env KS_PW

# Separate key password from a two-line file (unicode.jks) and from --key-password-file.
TWO=$(pwfile 'pässwörd-密码' 'ключ-пароль')
run 0 "$CT" keystore list -k "$J/unicode.jks" --password-file "$TWO"
contains "$out" "Key: RSA"

# Chain verification: signed.p12 chains to the root in client-truststore.
run 0 "$CT" keystore verify -k "$J/signed.p12" --password-file "$PW" --truststore "$J/client-truststore.jks" --truststore-password-file "$PW"
contains "$out" "trusted by"
run 0 "$CT" keystore verify -k "$J/signed.pem" --truststore "$J/client-truststore.p12" --truststore-password-file "$PW"
run 1 "$CT" keystore verify -k "$J/identity.p12" --password-file "$PW" --truststore "$J/client-truststore.jks" --truststore-password-file "$PW"
contains "$err" "is not trusted by"
contains "$err" "alias \"wso2carbon\""

# An expired certificate, made now.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/old.key" -out "$TMP/old.pem" -subj /CN=old \
    -not_before 20200101000000Z -not_after 20210101000000Z 2>/dev/null \
  || openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/old.key" -out "$TMP/old.pem" -subj /CN=old -days 1 2>/dev/null
run 1 "$CT" keystore verify -k "$TMP/old.pem" --truststore "$TMP/old.pem" --at 1893456000
contains "$err" "expired"
done_tests
