#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Trust-gated sealing: --truststore refuses a recipient certificate whose chain does not
# verify or that has expired (subject, SHA-256 thumbprint and reason named);
# --allow-untrusted goes on with a warning; without a truststore an expired one is a warning.
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
PW=$(pwfile wso2carbon)
TS=(--truststore "$J/client-truststore.jks" --truststore-password-file "$PW")
sha256() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f; }
# Untrusted: a self-signed certificate made by openssl; expired: one made by keytool
# valid from ten days ago for two days.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/u.key" -out "$TMP/u.pem" -subj /CN=untrusted-box \
    -days 30 2>/dev/null
keytool -genkeypair -alias old -keyalg RSA -keysize 2048 -startdate -10d -validity 2 -dname CN=expired-box \
    -keystore "$TMP/exp.p12" -storetype PKCS12 -storepass changeit 2>/dev/null || fail "keytool"
keytool -exportcert -rfc -alias old -keystore "$TMP/exp.p12" -storepass changeit > "$TMP/exp.pem" 2>/dev/null
openssl x509 -in "$TMP/exp.pem" -noout -checkend 0 >/dev/null && fail "the certificate is not expired"
ok

# signed.pem chains to the root in client-truststore.jks: sealed without a word.
run_in 0 "s3cret" "$CT" encrypt --cert "$J/signed.pem" "${TS[@]}"
case "$out" in vault:v1:*) ok ;; *) fail "not a native value: $out" ;; esac
lacks "$err" "warning"
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$TMP/d.toml"
run 0 "$CT" seal "$TMP/d.toml" --cert "$J/signed.pem" "${TS[@]}"
contains "$err" "sealed 6 secrets"

# Untrusted: refused, named; the file is not touched.
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$TMP/u.toml"
cp "$TMP/u.toml" "$TMP/u.orig"
run 1 "$CT" seal "$TMP/u.toml" --cert "$TMP/u.pem" "${TS[@]}"
contains "$err" "refusing to seal to certificate \"CN=untrusted-box\" (SHA-256 $(sha256 "$TMP/u.pem"))"
contains "$err" "self-signed certificate"
cmp -s "$TMP/u.toml" "$TMP/u.orig" || fail "a refused seal changed the file"; ok
# one untrusted among several recipients is enough to refuse
run_in 1 "s3cret" "$CT" encrypt --cert "$J/signed.pem" --cert "$TMP/u.pem" "${TS[@]}"
contains "$err" "CN=untrusted-box"
lacks "$out" "vault:"
# the identity keystore's own self-signed certificate (-k) is checked too
run_in 1 "s3cret" "$CT" encrypt -k "$J/identity.p12" --password-file "$PW" "${TS[@]}"
contains "$err" "$(sha256 "$J/identity.pem")"
run 0 "$CT" seal "$TMP/u.toml" --cert "$TMP/u.pem" "${TS[@]}" --allow-untrusted
contains "$err" "warning: sealing to an untrusted certificate \"CN=untrusted-box\""
contains "$err" "sealed 6 secrets"
run_in 0 "s3cret" "$CT" encrypt --cert "$TMP/u.pem"
lacks "$err" "warning"

# Expired: a warning without a truststore; refused against a truststore that has it as
# an anchor (so expiry is the one reason); --allow-untrusted lets it through.
expfp=$(sha256 "$TMP/exp.pem")
run_in 0 "s3cret" "$CT" encrypt --cert "$TMP/exp.pem"
contains "$err" "warning: certificate \"CN=expired-box\" (SHA-256 $expfp)"
contains "$err" "has expired"
run_in 1 "s3cret" "$CT" encrypt --cert "$TMP/exp.pem" --truststore "$TMP/exp.pem"
contains "$err" "refusing to seal to certificate \"CN=expired-box\" (SHA-256 $expfp)"
contains "$err" "certificate has expired"
lacks "$out" "vault:"
run_in 0 "s3cret" "$CT" encrypt --cert "$TMP/exp.pem" --truststore "$TMP/exp.pem" --allow-untrusted
contains "$err" "warning: sealing to an untrusted certificate"
case "$out" in vault:v1:*) ok ;; *) fail "not a native value: $out" ;; esac

# rotate takes the same options: untrusted new recipient, nothing written.
run 1 "$CT" rotate "$TMP/d.toml" --from-keystore "$J/identity.p12" --from-password-file "$PW" \
    --cert "$TMP/u.pem" "${TS[@]}"
contains "$err" "CN=untrusted-box"
# a wrong truststore password is an error, not a pass
BAD=$(pwfile nope)
run_in 1 "s3cret" "$CT" encrypt --cert "$J/signed.pem" --truststore "$J/client-truststore.jks" \
    --truststore-password-file "$BAD"
lacks "$out" "vault:"
done_tests
