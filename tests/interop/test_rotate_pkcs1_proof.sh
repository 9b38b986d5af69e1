#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rotate and raw PKCS#1 v1.5 values, with Java as the judge: Java JCE seals the values
# (RSA/ECB/PKCS1Padding, the WSO2 default), a wrong old key of the same size opens each
# of them to other bytes (implicit rejection), so rotate must refuse to seal them again
# unless some value of the run proves the old key. Java decrypts what was rotated.
source "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$TMP/java"
javac -d "$TMP/java" "$HERE/JavaDecrypt.java" || fail "javac failed"
cp -r "$SH/fixtures/wso2-home" "$TMP/home"
chmod -R u+w "$TMP/home"
OLD=$TMP/home/repository/resources/security/wso2carbon.jks
PW=$(pwfile wso2carbon)
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
java_with() { java -cp "$TMP/java" JavaDecrypt "$@"; }

keygen() {
    keytool -genkeypair -alias "$2" -keyalg RSA -keysize 2048 -validity 30 -dname "CN=$2" \
        -keystore "$1" -storetype PKCS12 -storepass n3wpass -keypass n3wpass 2>/dev/null \
        || fail "keytool -genkeypair failed"
}
modulus() { openssl x509 -noout -modulus | sed 's/.*=//'; }
old_n=$(keytool -exportcert -rfc -alias wso2carbon -keystore "$OLD" -storepass wso2carbon 2>/dev/null | modulus)
[ ${#old_n} = 512 ] || fail "cannot read the old key's modulus"
# A wrong key with a larger modulus than the old one (same length): every old block is
# below it, so each opens with it to other bytes rather than failing openly.
for i in 1 2 3 4 5 6 7 8 9 10; do
    rm -f "$TMP/wrong.p12"
    keygen "$TMP/wrong.p12" wrong
    wrong_n=$(openssl pkcs12 -in "$TMP/wrong.p12" -nokeys -passin pass:n3wpass 2>/dev/null | modulus)
    [[ "$wrong_n" > "$old_n" ]] && break
done
[[ "$wrong_n" > "$old_n" ]] || fail "no wrong key with a larger modulus in 10 tries"
keygen "$TMP/new.p12" newkey
NPW=$(pwfile n3wpass)
WRONG=(--from-keystore "$TMP/wrong.p12" --from-password-file "$NPW")
RIGHT=(--from-keystore "$OLD" --from-password-file "$PW")
NEW=(-k "$TMP/new.p12" --password-file "$NPW" --format wso2 --transformation RSA/ECB/OAEPwithSHA1andMGF1Padding)
# The wrong key's bytes may be of any length: native takes them all, so only the rule refuses.
NATIVE=(-k "$TMP/new.p12" --password-file "$NPW")

aliases=(Carbon.Security.KeyStore.Password UserManager.AdminUser.Password Log.Password)
declare -A want=([Carbon.Security.KeyStore.Password]=wso2carbon [UserManager.AdminUser.Password]=admin
                 [Log.Password]='log-pässword')
# java_seal TRANSFORMATION ALIAS...: "alias=value" lines sealed by Java with the old key.
java_seal() {
    local t=$1 a req="" vals i=0
    shift
    for a in "$@"; do req+="encrypt raw $t $(hex "${want[$a]}")"$'\n'; done
    vals=$(printf '%s' "$req" | java_with "$OLD" JKS wso2carbon wso2carbon) || fail "Java could not seal"
    for a in "$@"; do
        i=$((i + 1))
        printf '%s=%s\n' "$a" "$(sed -n "${i}p" <<< "$vals")"
    done
}
# java_opens FILE: Java opens every value of FILE with the new key to what it was.
java_opens() {
    local a req="" exp=""
    for a in "${aliases[@]}"; do
        req+="decrypt raw RSA/ECB/OAEPwithSHA1andMGF1Padding $(sed -n "s/^$a=//p" "$1")"$'\n'
        exp+="$(hex "${want[$a]}")"$'\n'
    done
    got=$(printf '%s' "$req" | java_with "$TMP/new.p12" PKCS12 n3wpass newkey) \
        || fail "Java could not decrypt the rotated values"
    equals "$got"$'\n' "$exp"
}

# Only Java-made PKCS#1 v1.5 values.
P=$TMP/home/repository/conf/security/cipher-text.properties
java_seal RSA/ECB/PKCS1Padding "${aliases[@]}" > "$P"
cp "$P" "$TMP/p.orig"

# The wrong old key opens each of them to other bytes: refused, every alias named, the
# file untouched.
for a in "${aliases[@]}"; do
    run 0 sh -c 'printf "%s" "$1" | "$2" decrypt -k "$3" --password-file "$4" -n "$5" >/dev/null' _ \
        "$(sed -n "s/^$a=//p" "$P")" "$CT" "$TMP/wrong.p12" "$NPW" "$a"
done
run 1 "$CT" rotate "$P" "${WRONG[@]}" "${NATIVE[@]}"
for a in "${aliases[@]}"; do
    contains "$err" "$P: alias \"$a\": RSA PKCS#1 v1.5 value naming no key (any key opens it, a wrong \
one to other bytes); nothing in this run proves keystore $TMP/wrong.p12, alias \"wrong\" is its key; \
not sealed again"
done
contains "$err" "$P: 3 values did not rotate; the file was not changed"
contains "$err" "hint: "
cmp -s "$P" "$TMP/p.orig" || fail "a refused rotation changed the file"; ok
# The right key is refused the same way: nothing tells the two apart.
run 1 "$CT" rotate "$P" "${RIGHT[@]}" "${NEW[@]}"
contains "$err" "$P: 3 values did not rotate; the file was not changed"
cmp -s "$P" "$TMP/p.orig" || fail "a refused rotation changed the file"; ok
ls -A "$(dirname "$P")" | grep -q '^\.\?cipher-text.properties.\+' && fail "a temporary file was left"; ok

# One Java-made OAEP value of the old key proves it: the run goes through, Java judges.
aliases+=(Datasources.SHARED_DB.Configuration.Password)
want[Datasources.SHARED_DB.Configuration.Password]='db=secret\with\backslashes'
java_seal RSA/ECB/OAEPwithSHA1andMGF1Padding Datasources.SHARED_DB.Configuration.Password >> "$P"
cp "$P" "$TMP/p.orig"
# ... but not for the wrong key, to which that value is one more unproven PKCS#1 v1.5 block.
run 1 "$CT" rotate "$P" "${WRONG[@]}" "${NATIVE[@]}"
contains "$err" "$P: alias \"Datasources.SHARED_DB.Configuration.Password\": RSA PKCS#1 v1.5 value naming no key"
contains "$err" "$P: 4 values did not rotate; the file was not changed"
cmp -s "$P" "$TMP/p.orig" || fail "a refused rotation changed the file"; ok
run 0 "$CT" rotate "$P" "${RIGHT[@]}" "${NEW[@]}"
contains "$err" "rotated 4 secrets to wso2 (3 legacy PKCS#1 v1.5 values moved to wso2"
lacks "$err" "without proof"
java_opens "$P"

# Without a proving value, --accept-unproven-pkcs1 lets the operator vouch for the key, if it
# is the one the server is configured with (carbon.xml of the home here): never a wrong one.
java_seal RSA/ECB/PKCS1Padding "${aliases[@]}" > "$P"
cp "$P" "$TMP/p.orig"
run 1 "$CT" rotate "$P" "${WRONG[@]}" "${NATIVE[@]}" --accept-unproven-pkcs1
contains "$err" "$P: alias \"Log.Password\": RSA PKCS#1 v1.5 value naming no key, not sealed again: $P: \
the server's keystore is $OLD"
cmp -s "$P" "$TMP/p.orig" || fail "a refused rotation changed the file"; ok
run 0 "$CT" rotate "$P" "${RIGHT[@]}" "${NEW[@]}" --accept-unproven-pkcs1
contains "$err" "$P: 4 PKCS#1 v1.5 values sealed again without proof of the old key"
java_opens "$P"
done_tests
