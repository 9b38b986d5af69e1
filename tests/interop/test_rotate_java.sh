#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cipher-tool rotate with Java as the judge: a product home sealed by -Dconfigure
# with PKCS#1 v1.5 moves to a new keytool-made key in OAEP (Java decrypts every value
# with the new key, the old key opens none), then to native, to AES-GCM and back.
source "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$TMP/java"
javac -d "$TMP/java" "$HERE/JavaDecrypt.java" || fail "javac failed"

cp -r "$SH/fixtures/wso2-home" "$TMP/home"
chmod -R u+w "$TMP/home"
cd "$TMP/home"
PW=$(pwfile wso2carbon)
OLD=$TMP/home/repository/resources/security/wso2carbon.jks
T=repository/conf/deployment.toml
declare -A want=([admin_password]=admin [keystore_password]=wso2carbon [truststore_password]=wso2carbon
                 [shared_db_password]='p@ss=w0rd' [log4j.appender.LOGEVENT.password]=läuft
                 [api_token]='tok-[inner]-end' [already_sealed]=admin)
value_of() { sed -n -E "s/^\"?$1\"? = [\"'](.*)[\"']\$/\1/p" "$2"; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
outside() { awk '/^\[/ { s = ($0 == "[secrets]") } s && /^[^#[].*= / { sub(/= .*/, "= V") } { print }' "$1"; }

# java_all KEYSTORE TYPE PASS ALIAS FORM TRANSFORMATION [SKIP]: Java opens every value of $T.
java_all() {
    local req="" exp="" a
    for a in "${!want[@]}"; do
        [ "$a" != "${7:-}" ] || continue
        req+="decrypt $5 $6 $(value_of "$a" $T)"$'\n'
        exp+="$(hex "${want[$a]}")"$'\n'
    done
    got=$(printf '%s' "$req" | java -cp "$TMP/java" JavaDecrypt "$1" "$2" "$3" "$4") \
        || fail "Java could not decrypt the values with $1"
    equals "$got"$'\n' "$exp"
}
# ours_all KEYSTORE PWFILE: cipher-tool opens every value of $T.
ours_all() {
    local a
    for a in "${!want[@]}"; do
        equals "$(printf '%s' "$(value_of "$a" $T)" | "$CT" decrypt -k "$1" --password-file "$2" -n "$a")" \
            "${want[$a]}"
    done
}

# The home's secret-conf.properties names RSA (PKCS#1 v1.5): its WSO2 runtime
# opens no other value, so the rotations to other formats below say that the
# values are not for it (--not-for-wso2-runtime); -Drotate moves the whole home.
# Sealed the Java tool's legacy way. already_sealed came with the fixture, in
# OAEP: -Dconfigure refuses to name RSA while it is there (the server would
# get its alias name), so it is put back by hand afterwards, as the OAEP
# value that proves the old key to rotate below.
configure_rsa() {
    local kept
    kept=$(grep '^already_sealed = ' $T)
    cp $T "$TMP/pre.toml"
    run 1 "$CT" -Dconfigure --password-file "$PW" -Dorg.wso2.CipherTransformation=RSA
    contains "$err" "alias \"already_sealed\": a raw RSA block of another padding than the home's"
    cmp -s $T "$TMP/pre.toml" || fail "a refused -Dconfigure changed the file"; ok
    [ ! -e repository/conf/security/secret-conf.properties ] || fail "a refused -Dconfigure wrote secret-conf"
    sed -i '/^already_sealed = /d' $T
    run 0 "$CT" -Dconfigure --password-file "$PW" -Dorg.wso2.CipherTransformation=RSA
    sed -i "/^\[secrets\]/a $kept" $T
}
configure_rsa
java_all "$OLD" JKS wso2carbon wso2carbon raw RSA/ECB/PKCS1Padding already_sealed
cp $T "$TMP/sealed.toml"

# A new key made by keytool now.
keytool -genkeypair -alias newkey -keyalg RSA -keysize 2048 -validity 30 -dname CN=rotated \
    -keystore "$TMP/new.p12" -storetype PKCS12 -storepass n3wpass -keypass n3wpass 2>/dev/null \
    || fail "keytool -genkeypair failed"
NPW=$(pwfile n3wpass)

run 1 "$CT" rotate $T --from-keystore "$OLD" --from-password-file "$PW" \
    -k "$TMP/new.p12" --password-file "$NPW" --format wso2 --transformation RSA/ECB/OAEPwithSHA1andMGF1Padding
contains "$err" "--not-for-wso2-runtime"
cmp -s $T "$TMP/sealed.toml" || fail "a refused rotate changed the file"; ok
run 0 "$CT" rotate $T --from-keystore "$OLD" --from-password-file "$PW" \
    -k "$TMP/new.p12" --password-file "$NPW" --format wso2 --transformation RSA/ECB/OAEPwithSHA1andMGF1Padding \
    --not-for-wso2-runtime
contains "$err" "rotated 7 secrets to wso2 (6 legacy PKCS#1 v1.5 values moved to wso2"
equals "$(outside $T)" "$(outside "$TMP/sealed.toml")"
java_all "$TMP/new.p12" PKCS12 n3wpass newkey raw RSA/ECB/OAEPwithSHA1andMGF1Padding
# The old key opens none of them: for us, and (two of them, a JVM each) for Java.
# They are OAEP: with PKCS#1 v1.5 refused, any padding failure is an error
# (where PKCS#1 v1.5 is allowed it would open them to other bytes, SECURITY.md).
for a in "${!want[@]}"; do
    set +e
    printf '%s' "$(value_of "$a" $T)" | "$CT" decrypt -k "$OLD" --password-file "$PW" -n "$a" --no-pkcs1 >/dev/null 2>&1
    c=$?
    set -e
    [ "$c" = 1 ] || fail "$a: the old key still opens it"
    ok
done
for a in admin_password already_sealed; do
    set +e
    printf 'decrypt raw RSA/ECB/OAEPwithSHA1andMGF1Padding %s\n' "$(value_of "$a" $T)" \
        | java -cp "$TMP/java" JavaDecrypt "$OLD" JKS wso2carbon wso2carbon >/dev/null 2>&1
    j=$?
    set -e
    [ "$j" != 0 ] || fail "$a: the old key still opens it in Java"
    ok
done

# Then native (same new key), then AES-GCM with internal.p12's secret key, and back.
run 0 "$CT" rotate $T --from-keystore "$TMP/new.p12" --from-password-file "$NPW" \
    -k "$TMP/new.p12" --password-file "$NPW" --not-for-wso2-runtime
contains "$err" "rotated 7 secrets to native"
lacks "$err" "legacy"
equals "$(outside $T)" "$(outside "$TMP/sealed.toml")"
equals "$(grep -cE "= [\"']vault:v1:" $T)" 7
ours_all "$TMP/new.p12" "$NPW"
AES=$SH/fixtures/java/internal.p12
run 0 "$CT" rotate $T --from-keystore "$TMP/new.p12" --from-password-file "$NPW" \
    -k "$AES" --password-file "$PW" --format wso2-symmetric \
    --not-for-wso2-runtime
contains "$err" "rotated 7 secrets to wso2-symmetric"
java_all "$AES" PKCS12 wso2carbon wso2carbon gcm-json AES/GCM/NoPadding
run 0 "$CT" rotate $T --from-keystore "$AES" --from-password-file "$PW" \
    -k "$TMP/new.p12" --password-file "$NPW" --not-for-wso2-runtime
contains "$err" "rotated 7 secrets to native"
equals "$(outside $T)" "$(outside "$TMP/sealed.toml")"
ours_all "$TMP/new.p12" "$NPW"
# Native values in a home whose secret-conf.properties names RSA: libvault
# opens every one, the WSO2 runtime none (check says so); outside the home
# every value opens.
run 1 "$CT" check $T -k "$TMP/new.p12" --password-file "$NPW"
contains "$err" "not opened by the WSO2 runtime"
cp $T "$TMP/native.toml"
run 0 "$CT" check "$TMP/native.toml" -k "$TMP/new.p12" --password-file "$NPW"

# The Java tool's command line: -Drotate -Dold.alias=OLD, both keys in the server's keystore.
cd "$TMP"; rm -rf "$TMP/home"; cp -r "$SH/fixtures/wso2-home" "$TMP/home"; chmod -R u+w "$TMP/home"
cd "$TMP/home"
configure_rsa
cp $T "$TMP/sealed.toml"
keytool -genkeypair -alias newkey -keyalg RSA -keysize 2048 -validity 30 -dname CN=newkey -storetype JKS \
    -keystore "$OLD" -storepass wso2carbon -keypass wso2carbon 2>/dev/null || fail "keytool -genkeypair"
sed -i 's/^alias = "wso2carbon"$/alias = "newkey"/' $T
# A home keeps its one algorithm unless the operator names another: -Drotate
# re-seals every value, so it may move the home to OAEP when asked.
run 0 "$CT" -Drotate -Dold.alias=wso2carbon --password-file "$PW" \
    -Dorg.wso2.CipherTransformation=RSA/ECB/OAEPwithSHA1andMGF1Padding
contains "$err" "rotating from alias \"wso2carbon\" to alias \"newkey\""
contains "$err" "rotated 7 secrets to wso2 (6 legacy PKCS#1 v1.5 values moved to wso2"
equals "$(sed -n 's/^secretRepositories.file.algorithm=//p' repository/conf/security/secret-conf.properties)" \
    "RSA/ECB/OAEPwithSHA1andMGF1Padding"
equals "$(sed -n 's/^keystore.identity.alias=//p' repository/conf/security/secret-conf.properties)" newkey
java_all "$OLD" JKS wso2carbon newkey raw RSA/ECB/OAEPwithSHA1andMGF1Padding
set +e
printf 'decrypt raw RSA/ECB/OAEPwithSHA1andMGF1Padding %s\n' "$(value_of admin_password $T)" \
    | java -cp "$TMP/java" JavaDecrypt "$OLD" JKS wso2carbon wso2carbon >/dev/null 2>&1
j=$?
set -e
[ "$j" != 0 ] || fail "the old alias still opens it in Java"; ok
# run again: the old alias opens nothing, the new key (in the configured OAEP) opens every value:
# reported as already done, the file not rewritten
cp $T "$TMP/rotated.toml"
run 0 "$CT" -Drotate -Dold.alias=wso2carbon --password-file "$PW"
contains "$err" "rotated 0 secrets to wso2; 7 already on the new key"
cmp -s $T "$TMP/rotated.toml" || fail "a no-op -Drotate changed the file"; ok
run 2 "$CT" -Drotate --password-file "$PW"
contains "$err" "-Dold.alias"

# -Drotate -Dsymmetric: from the AES key wso2carbon to a new AES key of internal.p12.
AESK=repository/resources/security/internal.p12
cp "$SH/fixtures/java/internal.p12" $AESK; chmod u+w $AESK
printf '\n[keystore.internal]\nfile_name = "internal.p12"\ntype = "PKCS12"\nalias = "wso2carbon"\n' >> $T
sed -i 's/^alias = "newkey"$/alias = "wso2carbon"/' $T
keytool -genseckey -alias newaes -keyalg AES -keysize 256 -storetype PKCS12 -keystore $AESK \
    -storepass wso2carbon 2>/dev/null || fail "keytool -genseckey"
# (first everything under the old AES key)
run 0 "$CT" rotate $T --from-keystore "$OLD" --from-alias newkey --from-password-file "$PW" \
    -k $AESK --alias wso2carbon --password-file "$PW" --format wso2-symmetric \
    --not-for-wso2-runtime
java_all "$TMP/home/$AESK" PKCS12 wso2carbon wso2carbon gcm-json AES/GCM/NoPadding
sed -i '/^\[keystore.internal\]/,$ s/^alias = "wso2carbon"$/alias = "newaes"/' $T
run 0 "$CT" -Drotate -Dsymmetric -Dold.alias=wso2carbon --password-file "$PW"
contains "$err" "rotated 7 secrets to wso2-symmetric"
equals "$(sed -n 's/^secretRepositories.file.algorithm=//p' repository/conf/security/secret-conf.properties)" \
    "AES/GCM/NoPadding"
java_all "$TMP/home/$AESK" PKCS12 wso2carbon newaes gcm-json AES/GCM/NoPadding
set +e
printf 'decrypt gcm-json AES/GCM/NoPadding %s\n' "$(value_of admin_password $T)" \
    | java -cp "$TMP/java" JavaDecrypt "$TMP/home/$AESK" PKCS12 wso2carbon wso2carbon >/dev/null 2>&1
j=$?
set -e
[ "$j" != 0 ] || fail "the old AES key still opens it in Java"; ok
done_tests
