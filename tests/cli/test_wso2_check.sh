#!/usr/bin/env bash
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
done_tests
