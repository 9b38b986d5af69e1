#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cipher-tool seal | check | list | change on deployment.toml and cipher-text.properties.
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
PW=$(pwfile wso2carbon)
KS=(-k "$J/identity.p12" --password-file "$PW")
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$TMP/d.toml"
cp "$SH/fixtures/wso2-home/repository/conf/security/cipher-text.properties" "$TMP/c.properties"
chmod 640 "$TMP/d.toml"

# Before sealing, check names every plaintext secret (never its value).
run 1 "$CT" check "$TMP/d.toml"
contains "$err" "line 30: alias \"admin_password\": plain text secret"
contains "$err" "alias \"api_token\": plain text secret"
lacks "$err" "tok-[inner]-end"
run 0 "$CT" list "$TMP/d.toml"
contains "$out" "admin_password"
contains "$out" "plain"
lacks "$out" "[admin]"

# seal: native by default, to the keystore's certificate; a second run changes nothing.
run 0 "$CT" seal "$TMP/d.toml" "$TMP/c.properties" "${KS[@]}"
contains "$err" "d.toml: sealed 6 secrets, 1 already sealed"
contains "$err" "c.properties: sealed 5 secrets"
equals "$(stat -c %a "$TMP/d.toml")" 640
cp "$TMP/d.toml" "$TMP/once.toml"
run 0 "$CT" seal "$TMP/d.toml" "${KS[@]}"
cmp -s "$TMP/d.toml" "$TMP/once.toml" || fail "a second seal changed the file"
ok
run 0 "$CT" check "$TMP/d.toml" "$TMP/c.properties" "${KS[@]}"
contains "$err" "every value opens"
run 0 "$CT" list "$TMP/d.toml" --json
contains "$out" '"state": "sealed"'
contains "$out" '"format": "native"'
sha=$(keytool -list -v -keystore "$J/identity.p12" -storepass wso2carbon | awk '/SHA256:/ {print $2}' | tr -d : | tr A-F a-f)
contains "$out" "\"$sha\""
# Sealing with only the certificate (a build machine has no private key).
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$TMP/cert.toml"
run 0 "$CT" seal "$TMP/cert.toml" --cert "$J/identity.pem"
run 0 "$CT" check "$TMP/cert.toml" "${KS[@]}"

# Each decrypts to its plaintext with the key.
val=$(sed -n "s/^api_token = '\(.*\)'$/\1/p" "$TMP/d.toml")
out=$(printf '%s' "$val" | "$CT" decrypt "${KS[@]}" -n api_token)
equals "$out" "tok-[inner]-end"

# check: a plaintext left, a reference to a missing alias, a tampered value — each named.
cp "$TMP/d.toml" "$TMP/bad.toml"
sed -i 's/^admin_password = .*/admin_password = "[again]"/' "$TMP/bad.toml"
sed -i 's/^password = "$secret{truststore_password}"/password = "$secret{no_such_alias}"/' "$TMP/bad.toml"
sed -i -E 's/^(keystore_password = "vault:v1:[A-Za-z0-9_-]{40})[B-Za-z0-9_-]/\1A/; t; s/^(keystore_password = "vault:v1:[A-Za-z0-9_-]{40})A/\1B/' "$TMP/bad.toml"
run 1 "$CT" check "$TMP/bad.toml" "${KS[@]}"
contains "$err" "alias \"admin_password\": plain text secret"
contains "$err" "alias \"no_such_alias\": reference to a missing alias"
contains "$err" "alias \"keystore_password\": does not open"
lacks "$err" "again"
run 1 "$CT" check "$TMP/bad.toml" "${KS[@]}" --json
contains "$out" '"ok": false'
contains "$out" '"code": "missing-alias"'

# change: one secret, new value from standard input, the others untouched.
before=$(grep '^keystore_password' "$TMP/d.toml")
run_in 0 "n3w-päss" "$CT" change "$TMP/d.toml" admin_password "${KS[@]}"
equals "$(grep '^keystore_password' "$TMP/d.toml")" "$before"
val=$(sed -n 's/^admin_password = "\(.*\)"$/\1/p' "$TMP/d.toml")
equals "$(printf '%s' "$val" | "$CT" decrypt "${KS[@]}" -n admin_password)" "n3w-päss"
run_in 1 "x" "$CT" change "$TMP/d.toml" nope "${KS[@]}"
contains "$err" "no alias \"nope\""

# WSO2 format on request; a value too long for one RSA block is refused, file untouched.
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$TMP/w.toml"
run 0 "$CT" seal "$TMP/w.toml" "${KS[@]}" --format wso2
run 0 "$CT" list "$TMP/w.toml"
contains "$out" "wso2"
printf '[secrets]\nbig = "[%s]"\n' "$(head -c 300 /dev/zero | tr '\0' x)" > "$TMP/big.toml"
cp "$TMP/big.toml" "$TMP/big.orig"
run 1 "$CT" seal "$TMP/big.toml" "${KS[@]}" --format wso2
contains "$err" "alias \"big\""
contains "$err" "native format"
cmp -s "$TMP/big.toml" "$TMP/big.orig" || fail "a failed seal changed the file"
ok

# TOML it must refuse instead of corrupting: the file is untouched, the line named.
refuse() {
    printf '%b' "$1" > "$TMP/r.toml"; cp "$TMP/r.toml" "$TMP/r.orig"
    run 1 "$CT" seal "$TMP/r.toml" "${KS[@]}"
    contains "$err" "r.toml"
    contains "$err" "$2"
    cmp -s "$TMP/r.toml" "$TMP/r.orig" || fail "refused input was changed"
    ok
}
refuse '[secrets]\na = "[x]\n' "r.toml:2: unterminated string"
refuse '[secrets]\na = "[x]"\n[secrets]\nb = "[y]"\n' "duplicate [secrets]"
refuse '[secrets]\na = """[x]"""\n' "r.toml:2:"
refuse '[secrets]\na = 42\n' "r.toml:2:"

# An empty value with no terminal: an error naming it, not a hang.
printf '[secrets]\nempty = ""\n' > "$TMP/e.toml"
run 1 "$CT" seal "$TMP/e.toml" "${KS[@]}"
contains "$err" "alias \"empty\" has an empty value and there is no terminal"
run 2 "$CT" seal
run 2 "$CT" seal "$TMP/d.toml"
contains "$err" "missing recipient"
done_tests
