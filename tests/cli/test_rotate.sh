#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cipher-tool rotate: every sealed value from the old key to new recipients / a new format.
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
PW=$(pwfile wso2carbon)
FROM=(--from-keystore "$J/identity.p12" --from-password-file "$PW")
KS1=(-k "$J/identity.p12" --password-file "$PW")
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/k2.key" -out "$TMP/k2.pem" -subj /CN=new-key \
    -days 30 2>/dev/null
cat "$TMP/k2.key" "$TMP/k2.pem" > "$TMP/k2-full.pem"
KS2=(-k "$TMP/k2-full.pem")
id2=$(openssl x509 -in "$TMP/k2.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)

# A deployment.toml whose values are of every format: native, OAEP, holder, PKCS#1 v1.5
# (ours), the fixture's Java-made OAEP already_sealed, and one plain text secret left.
T=$TMP/d.toml
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$T"
run 0 "$CT" seal "$T" "${KS1[@]}"
run_in 0 "wso2carbon" "$CT" change "$T" keystore_password "${KS1[@]}" --format wso2
run_in 0 "wso2carbon" "$CT" change "$T" truststore_password "${KS1[@]}" --format wso2-holder
run_in 0 "p@ss=w0rd" "$CT" change "$T" shared_db_password "${KS1[@]}" --format wso2 --transformation RSA
sed -i '/^api_token = /a left_plain = "[not yet]"' "$T"
run 0 "$CT" list "$T"
contains "$out" "wso2-holder"
contains "$out" "native"
value_of() { sed -n -E "s/^\"?$1\"? = [\"'](.*)[\"']\$/\1/p" "$2"; }
declare -A want=([admin_password]=admin [keystore_password]=wso2carbon [truststore_password]=wso2carbon
                 [shared_db_password]='p@ss=w0rd' [log4j.appender.LOGEVENT.password]=läuft
                 [api_token]='tok-[inner]-end')
# The Java-made value: whatever identity.p12 opens it to is what it must still open to.
want[already_sealed]=$(printf '%s' "$(value_of already_sealed "$T")" | "$CT" decrypt "${KS1[@]}" -n already_sealed)
[ -n "${want[already_sealed]}" ] || fail "already_sealed does not open"
cp "$T" "$TMP/d.before"
outside() { sed -E 's/^("?[A-Za-z0-9_.]+"? = ).*$/\1V/' "$1"; }

# native, to a new key pair: all seven values, two of them legacy PKCS#1 v1.5
run 0 "$CT" rotate "$T" "${FROM[@]}" "${KS2[@]}"
contains "$err" "d.toml: rotated 7 secrets to native (1 legacy PKCS#1 v1.5 value moved to native: \"shared_db_password\")"
contains "$err" "1 plain text secret left as it is: \"left_plain\""
equals "$(outside "$T")" "$(outside "$TMP/d.before")"
equals "$(grep '^left_plain' "$T")" 'left_plain = "[not yet]"'
for a in "${!want[@]}"; do
    v=$(value_of "$a" "$T")
    case "$v" in vault:v1:*) ok ;; *) fail "$a is not native: $v" ;; esac
    equals "$(printf '%s' "$v" | "$CT" decrypt "${KS2[@]}" -n "$a")" "${want[$a]}"
    run 1 sh -c 'printf "%s" "$1" | "$2" decrypt -k "$3" --password-file "$4" -n "$5"' _ "$v" "$CT" \
        "$J/identity.p12" "$PW" "$a"
    contains "$err" "sealed for key(s) $id2"
done
run_in 0 "$(value_of api_token "$T")" "$CT" inspect
contains "$out" "$id2"

# and back to the old key in the WSO2 OAEP format, with only its certificate
cp "$T" "$TMP/native.toml"
run 0 "$CT" rotate "$T" --from-keystore "$TMP/k2-full.pem" --cert "$J/identity.pem" --format wso2
contains "$err" "not at hand"
contains "$err" "rotated 7 secrets to wso2"
lacks "$err" "legacy"
for a in "${!want[@]}"; do
    equals "$(printf '%s' "$(value_of "$a" "$T")" | "$CT" decrypt "${KS1[@]}" -n "$a")" "${want[$a]}"
done
run 0 "$CT" list "$T" --json
lacks "$out" '"format": "native"'

# cipher-text.properties, to wso2-holder; --to-keystore is -k
mkdir "$TMP/sec"
P=$TMP/sec/cipher-text.properties
cp "$SH/fixtures/wso2-home/repository/conf/security/cipher-text.properties" "$P"
run 0 "$CT" seal "$P" "${KS1[@]}" --format wso2 --transformation RSA
# Only raw PKCS#1 v1.5 values: nothing proves the old key, so only with the explicit option.
cp "$P" "$TMP/c.orig"
run 1 "$CT" rotate "$P" "${FROM[@]}" --to-keystore "$TMP/k2-full.pem" --format wso2-holder
contains "$err" "alias \"Log.Password\""
cmp -s "$P" "$TMP/c.orig" || fail "an unproven rotation changed the file"; ok
# ... and only when the old key is the one the server is configured with.
run 1 "$CT" rotate "$P" "${FROM[@]}" --to-keystore "$TMP/k2-full.pem" --format wso2-holder \
    --accept-unproven-pkcs1
contains "$err" "$P: alias \"Log.Password\": RSA PKCS#1 v1.5 value naming no key, not sealed again: $P: no keystore is configured for it"
cmp -s "$P" "$TMP/c.orig" || fail "an unproven rotation changed the file"; ok
printf 'keystore.identity.location=%s\nkeystore.identity.alias=other\n' "$J/identity.p12" \
    > "$TMP/sec/secret-conf.properties"
# (that secret-conf.properties governs the file: its WSO2 runtime opens RSA
# values only, not holders)
run 1 "$CT" rotate "$P" "${FROM[@]}" --to-keystore "$TMP/k2-full.pem" --format wso2-holder \
    --accept-unproven-pkcs1
contains "$err" "--not-for-wso2-runtime"
cmp -s "$P" "$TMP/c.orig" || fail "a rotation its WSO2 runtime refuses changed the file"; ok
run 1 "$CT" rotate "$P" "${FROM[@]}" --to-keystore "$TMP/k2-full.pem" --format wso2-holder \
    --accept-unproven-pkcs1 --not-for-wso2-runtime
contains "$err" "the server's key is alias \"other\" of $J/identity.p12"
cmp -s "$P" "$TMP/c.orig" || fail "an unproven rotation changed the file"; ok
printf 'keystore.identity.location=%s\nkeystore.identity.alias=wso2carbon\n' "$J/identity.p12" \
    > "$TMP/sec/secret-conf.properties"
run 0 "$CT" rotate "$P" "${FROM[@]}" --to-keystore "$TMP/k2-full.pem" --format wso2-holder \
    --accept-unproven-pkcs1 --not-for-wso2-runtime
contains "$err" "5 PKCS#1 v1.5 values sealed again without proof of the old key"
contains "$err" "rotated 5 secrets to wso2-holder (5 legacy PKCS#1 v1.5 values moved to wso2-holder: \"Carbon.Security.KeyStore.Password\", "
v=$(sed -n 's/^Log.Password=//p' "$P")
equals "$(printf '%s' "$v" | "$CT" decrypt "${KS2[@]}" -n Log.Password)" "log-pässword"
tp=$(openssl x509 -in "$TMP/k2.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
contains "$(printf '%s' "$v" | base64 -d)" "\"tp\":\"$tp\""

# Mixed with AES-GCM values under an operator-typed key: both old keys at once.
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TMP/aes.hex"; chmod 600 "$TMP/aes.hex"
Q=$TMP/q.properties
cp "$SH/fixtures/wso2-home/repository/conf/security/cipher-text.properties" "$Q"
run 0 "$CT" seal "$Q" "${KS1[@]}"
run_in 0 "admin" "$CT" change "$Q" UserManager.AdminUser.Password --format wso2-symmetric \
    --symmetric-key-file "$TMP/aes.hex"
run 0 "$CT" list "$Q"
contains "$out" "wso2-symmetric"
cp "$Q" "$TMP/q.orig"
run 1 "$CT" rotate "$Q" "${FROM[@]}" "${KS2[@]}"
contains "$err" "alias \"UserManager.AdminUser.Password\""
cmp -s "$Q" "$TMP/q.orig" || fail "a failed rotation changed the file"; ok
run 0 "$CT" rotate "$Q" "${FROM[@]}" --from-symmetric-key-file "$TMP/aes.hex" "${KS2[@]}"
contains "$err" "rotated 5 secrets to native"
v=$(sed -n 's/^UserManager.AdminUser.Password=//p' "$Q")
equals "$(printf '%s' "$v" | "$CT" decrypt "${KS2[@]}" -n UserManager.AdminUser.Password)" "admin"
run 0 "$CT" check "$Q" "${KS2[@]}"
# and to AES-GCM under that key alone
run 0 "$CT" rotate "$Q" --from-keystore "$TMP/k2-full.pem" --format wso2-symmetric \
    --symmetric-key-file "$TMP/aes.hex"
contains "$err" "rotated 5 secrets to wso2-symmetric"
run 0 "$CT" rotate "$Q" --from-symmetric-key-file "$TMP/aes.hex" "${KS1[@]}"
contains "$err" "rotated 5 secrets to native"
run 0 "$CT" check "$Q" "${KS1[@]}"

# A corrupt value: exit 1, its alias named (and only it), the file byte-identical.
cp "$TMP/native.toml" "$TMP/bad.toml"
sed -i -E 's/^(api_token = .vault:v1:[A-Za-z0-9_-]{480})[B-Za-z0-9_-]/\1A/; t; s/^(api_token = .vault:v1:[A-Za-z0-9_-]{480})A/\1B/' "$TMP/bad.toml"
sed -i -E 's/^(admin_password = .vault:v1:[A-Za-z0-9_-]{480})[B-Za-z0-9_-]/\1A/; t; s/^(admin_password = .vault:v1:[A-Za-z0-9_-]{480})A/\1B/' "$TMP/bad.toml"
cp "$TMP/bad.toml" "$TMP/bad.orig"
run 1 "$CT" rotate "$TMP/bad.toml" --from-keystore "$TMP/k2-full.pem" "${KS1[@]}"
contains "$err" "alias \"api_token\""
contains "$err" "alias \"admin_password\""
lacks "$err" "alias \"keystore_password\""
contains "$err" "2 values did not rotate; the file was not changed"
cmp -s "$TMP/bad.toml" "$TMP/bad.orig" || fail "a failed rotation changed the file"; ok
# Values already on the new key (the old key does not open them, the new one does): reported
# as done, the file not rewritten.
cp "$TMP/native.toml" "$TMP/native.orig"
ino=$(stat -c %i "$TMP/native.toml")
run 0 "$CT" rotate "$TMP/native.toml" "${FROM[@]}" "${KS2[@]}"
contains "$err" "rotated 0 secrets to native; 7 already on the new key"
lacks "$err" "error"
cmp -s "$TMP/native.toml" "$TMP/native.orig" || fail "a no-op rotation changed the file"; ok
equals "$(stat -c %i "$TMP/native.toml")" "$ino"
# The wrong old key (and the new key does not open them either): every alias named, nothing written.
run 1 "$CT" rotate "$TMP/native.toml" "${FROM[@]}" "${KS1[@]}"
contains "$err" "alias \"already_sealed\""
contains "$err" "7 values did not rotate"
cmp -s "$TMP/native.toml" "$TMP/native.orig" || fail "a failed rotation changed the file"; ok
# kill -9 at many points of a rotation: the file is always wholly old or wholly new.
K=$TMP/kill.toml
grep -v '^left_plain' "$TMP/native.toml" > "$TMP/kill.orig.toml"
old_seen=0; new_seen=0
for delay in 0 0.005 0.01 0.02 0.03 0.04 0.05 0.06 0.08 0.1 0.12 0.15 0.2 0.3; do
    cp "$TMP/kill.orig.toml" "$K"
    "$CT" rotate "$K" --from-keystore "$TMP/k2-full.pem" "${KS1[@]}" --format wso2-holder 2>/dev/null &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if cmp -s "$K" "$TMP/kill.orig.toml"; then
        old_seen=$((old_seen + 1))
    else
        "$CT" check "$K" "${KS1[@]}" 2>/dev/null || fail "after kill -9 at $delay s: neither old nor new"
        equals "$(grep -c 'vault:v1:' "$K")" 0
        new_seen=$((new_seen + 1))
    fi
done
echo "kill -9: $old_seen old, $new_seen new"
run 2 "$CT" rotate "$T" "${KS2[@]}"
contains "$err" "missing --from-keystore"
run 2 "$CT" rotate "${FROM[@]}" "${KS2[@]}"
run 0 "$CT" rotate --help
contains "$out" "--from-password-file"
done_tests
