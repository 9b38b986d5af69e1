#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# check without a key is still a CI guard: every value must be "[plain]"
# (reported) or a well-formed sealed value of a known format; plain text
# without brackets, a lone "[" or a truncated value never passes as sealed.
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
# A value Java's JCE sealed (RSA, PKCS#1 v1.5): well-formed, the reference.
javaval=$(awk -F'\t' '$1 == 0 { print $5 }' "$J/vectors.tsv")
[ -n "$javaval" ] || fail "no Java vector"
native=$(printf 'tok' | "$CT" encrypt --cert "$J/identity.pem") || fail "encrypt"

good() { printf '[secrets]\njava = "%s"\nnative = "%s"\n' "$javaval" "$native" > "$TMP/good.toml"; }
good
run 0 "$CT" check "$TMP/good.toml"
run 0 "$CT" list "$TMP/good.toml"
lacks "$out" "invalid"

# bad ALIAS VALUE: check exits 1 naming the file, line and alias, never the value.
bad() {
    good
    printf '%s = "%s"\n' "$1" "$2" >> "$TMP/good.toml"
    run 1 "$CT" check "$TMP/good.toml"
    contains "$err" "good.toml: line 4: alias \"$1\": not a sealed value"
    lacks "$err" "$2"
    run 0 "$CT" list "$TMP/good.toml"
    contains "$(grep "^$1 " <<<"$out")" "invalid"
}
bad plain_word 'pass'
bad open_bracket '[pass'
bad truncated_native "${native:0:$((${#native} - 7))}"

# The same in the legacy properties file.
printf 'a=pass\nb=%s\n' "$javaval" > "$TMP/c.properties"
run 1 "$CT" check "$TMP/c.properties"
contains "$err" "line 1: alias \"a\": not a sealed value"
lacks "$err" "alias \"b\""

# --cert: every native value must be sealed for each certificate given.
# A second certificate made by openssl, independent of ours.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/other.key" -out "$TMP/other.pem" -days 2 \
    -subj /CN=other 2>/dev/null || fail "openssl req"
good
run 0 "$CT" check "$TMP/good.toml" --cert "$J/identity.pem"
run 1 "$CT" check "$TMP/good.toml" --cert "$TMP/other.pem"
contains "$err" "alias \"native\": not sealed for the certificate: $TMP/other.pem"
lacks "$err" "alias \"java\""
run 1 "$CT" check "$TMP/good.toml" --cert "$J/identity.pem" --cert "$TMP/other.pem"
contains "$err" "alias \"native\": not sealed for the certificate"
# sealed for both: passes with both
both=$(printf 'tok' | "$CT" encrypt --cert "$J/identity.pem" --cert "$TMP/other.pem") || fail "encrypt"
printf '[secrets]\nboth = "%s"\n' "$both" > "$TMP/both.toml"
run 0 "$CT" check "$TMP/both.toml" --cert "$J/identity.pem" --cert "$TMP/other.pem"
# the key ids judged by openssl: SHA-256 of each DER certificate
for c in "$J/identity.pem" "$TMP/other.pem"; do
    id=$(openssl x509 -in "$c" -outform DER | openssl dgst -sha256 -r | cut -c1-16)
    contains "$("$CT" list "$TMP/both.toml")" "$id"
done
run 1 "$CT" check "$TMP/good.toml" --cert "$TMP/missing.pem"
contains "$err" "missing.pem"
# In a WSO2 home (a secret-conf.properties governs cipher-text.properties)
# check judges as its runtime: every value of the one algorithm
# (absent line: RSA, PKCS#1 v1.5); a native or holder value fails there
# although libvault opens it. The values: Java's JCE (vectors.tsv).
vec() { awk -F'\t' -v i="$1" '$1 == i { print $5 }' "$J/vectors.tsv"; }
H=$TMP/home/repository/conf/security
mkdir -p "$H"
printf 'keystore.identity.location=%s\nkeystore.identity.type=PKCS12\nkeystore.identity.alias=wso2carbon\n' \
    "$J/identity.p12" > "$H/secret-conf.properties"
printf 'a=%s\n' "$(vec 0)" > "$H/cipher-text.properties"
run 0 "$CT" check "$H/cipher-text.properties"
printf 'n=%s\nh=%s\n' "$native" "$(vec 1)" >> "$H/cipher-text.properties"
run 1 "$CT" check "$H/cipher-text.properties"
contains "$err" "line 2: alias \"n\": not opened by the WSO2 runtime"
contains "$err" "line 3: alias \"h\": not opened by the WSO2 runtime"
contains "$err" "opens every value with RSA"
lacks "$err" "alias \"a\""
run 0 "$CT" list "$H/cipher-text.properties"
equals "$(grep -c 'not opened by the WSO2 runtime' <<<"$out")" 2
contains "$(grep -A1 '^n ' <<<"$out")" "not opened by the WSO2 runtime"
lacks "$(grep -A1 '^a ' <<<"$out")" "not opened"
# the same file outside a home, without secret-conf.properties: fine
cp "$H/cipher-text.properties" "$TMP/free.properties"
run 0 "$CT" check "$TMP/free.properties"
# an OAEP raw value: its form is right; with the key, its padding is not
printf 'a=%s\no=%s\n' "$(vec 0)" "$(vec 24)" > "$H/cipher-text.properties"
PWF=$(pwfile wso2carbon)
run 1 "$CT" check "$H/cipher-text.properties" -k "$J/identity.p12" --password-file "$PWF"
contains "$err" "alias \"o\": not opened by the WSO2 runtime"
lacks "$err" "alias \"a\": not opened"
# an OAEP home: the PKCS#1 v1.5 value is the one that fails
echo 'secretRepositories.file.algorithm=RSA/ECB/OAEPwithSHA1andMGF1Padding' >> "$H/secret-conf.properties"
run 1 "$CT" check "$H/cipher-text.properties" -k "$J/identity.p12" --password-file "$PWF"
contains "$err" "alias \"a\": not opened by the WSO2 runtime"
lacks "$err" "alias \"o\": not opened"
done_tests
