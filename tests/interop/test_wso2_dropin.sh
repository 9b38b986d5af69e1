#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cipher-tool -Dconfigure in a copy of the WSO2 product home, with Java as the
# judge: every sealed value decrypts with JCE, using the keystore and the
# algorithm written to secret-conf.properties; nothing outside the values changes.
source "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$TMP/java"
javac -d "$TMP/java" "$HERE/JavaDecrypt.java" || fail "javac failed"

setup_home() {
    cd "$TMP"
    rm -rf "$TMP/home"
    cp -r "$SH/fixtures/wso2-home" "$TMP/home"
    chmod -R u+w "$TMP/home"
    cd "$TMP/home"
}
PW=$(pwfile wso2carbon)
KS=$TMP/home/repository/resources/security/wso2carbon.jks
SC=$TMP/home/repository/conf/security/secret-conf.properties

# decrypt_all FILE ALGORITHM "alias=plain"...: Java opens each alias's value.
decrypt_all() {
    local file=$1 algo=$2; shift 2
    local req="" want="" pair alias plain value
    for pair in "$@"; do
        alias=${pair%%=*}; plain=${pair#*=}
        # the line whose key (maybe quoted) is the alias; its value unquoted
        value=$(awk -v a="$alias" 'index($0, a " ") == 1 || index($0, a "=") == 1 || index($0, "\"" a "\"") == 1' "$file" \
                | head -1 | sed -E "s/^(\"[^\"]*\"|[^ =]*) *= *//; s/^[\"']//; s/[\"']\$//")
        [ -n "$value" ] || fail "no value for $alias in $file"
        req+="decrypt raw $algo $value"$'\n'
        want+="$(printf '%s' "$plain" | od -An -tx1 | tr -d ' \n')"$'\n'
    done
    got=$(printf '%s' "$req" | java -cp "$TMP/java" JavaDecrypt "$KS" JKS wso2carbon wso2carbon) \
        || fail "Java could not decrypt the values of $file"
    equals "$got"$'\n' "$want"
}

# The [secrets] values of a deployment.toml replaced by V: what must not change.
outside_values() {
    awk '/^\[/ { s = ($0 == "[secrets]") } s && /^[^#[].*= / { sub(/= .*/, "= V") } { print }' "$1"
}

# --- deployment.toml ---
setup_home
cp repository/conf/deployment.toml "$TMP/orig.toml"
run 0 "$CT" -Dconfigure --password-file "$PW"
contains "$err" "using the keystore of keystore.primary"
contains "$err" "sealed 6 secrets, 1 already sealed"
lacks "$out$err" "[admin]"
T=repository/conf/deployment.toml
equals "$(outside_values $T)" "$(outside_values "$TMP/orig.toml")"
equals "$(grep -c '^already_sealed' $T)" 1
equals "$(grep '^already_sealed' $T)" "$(grep '^already_sealed' "$TMP/orig.toml")"
algo=$(sed -n 's/^secretRepositories.file.algorithm=//p' "$SC")
equals "$algo" "RSA/ECB/OAEPwithSHA1andMGF1Padding"
equals "$(sed -n 's/^keystore.identity.alias=//p' "$SC")" "wso2carbon"
# relative to the home, as the Java tool writes it: a moved home still works
equals "$(sed -n 's/^keystore.identity.location=//p' "$SC")" "repository/resources/security/wso2carbon.jks"
decrypt_all $T "$algo" admin_password=admin keystore_password=wso2carbon truststore_password=wso2carbon \
    'shared_db_password=p@ss=w0rd' 'log4j.appender.LOGEVENT.password=läuft' 'api_token=tok-[inner]-end'
"$CT" check $T -k "$KS" --password-file "$PW" 2>/dev/null || fail "check after -Dconfigure"
ok
# A second run changes no byte.
cp $T "$TMP/once.toml"; cp "$SC" "$TMP/once.sc"
run 0 "$CT" -Dconfigure --password-file "$PW"
cmp -s $T "$TMP/once.toml" || fail "second -Dconfigure changed deployment.toml"
cmp -s "$SC" "$TMP/once.sc" || fail "second -Dconfigure changed secret-conf.properties"
ok

# Java's legacy default, PKCS#1 v1.5, when asked; -Dpassword works with a warning.
# The fixture's already_sealed is an OAEP block: the WSO2 runtime of a home
# naming RSA would give its alias name, so -Dconfigure refuses, changing nothing.
setup_home
cd "$TMP"
cp "$TMP/home/$T" "$TMP/pre.toml"
CARBON_HOME=$TMP/home run 1 "$CT" -Dconfigure -Dpassword=wso2carbon -Dorg.wso2.CipherTransformation=RSA
contains "$err" "alias \"already_sealed\": a raw RSA block of another padding than the home's"
contains "$err" "sealed with RSA-OAEP"
cmp -s "$TMP/home/$T" "$TMP/pre.toml" || fail "a refused -Dconfigure changed the file"; ok
[ ! -e "$SC" ] || fail "a refused -Dconfigure wrote secret-conf.properties"; ok
sed -i '/^already_sealed = /d' "$TMP/home/$T"
CARBON_HOME=$TMP/home run 0 "$CT" -Dconfigure -Dpassword=wso2carbon -Dorg.wso2.CipherTransformation=RSA
contains "$err" "warning: -Dpassword"
equals "$(sed -n 's/^secretRepositories.file.algorithm=//p' "$SC")" "RSA"
decrypt_all "$TMP/home/$T" RSA admin_password=admin 'api_token=tok-[inner]-end'
cd "$TMP/home"

# -Dsymmetric: AES-GCM with the AES key of an internal keystore, which
# [keystore.internal] names and which wins over [keystore.primary].
setup_home
cp "$SH/fixtures/java/internal.p12" repository/resources/security/internal.p12
printf '\n[keystore.internal]\nfile_name = "internal.p12"\ntype = "PKCS12"\nalias = "wso2carbon"\n' \
    >> repository/conf/deployment.toml
# (the fixture's RSA value would stay RSA in a symmetric home: refused)
run 1 "$CT" -Dconfigure -Dsymmetric --password-file "$PW"
contains "$err" "alias \"already_sealed\": sealed as"
sed -i '/^already_sealed = /d' repository/conf/deployment.toml
run 0 "$CT" -Dconfigure -Dsymmetric --password-file "$PW"
contains "$err" "using the keystore of keystore.internal"
equals "$(sed -n 's/^secretRepositories.file.algorithm=//p' "$SC")" "AES/GCM/NoPadding"
equals "$(sed -n 's/^secretRepositories.file.encryptionMode=//p' "$SC")" "symmetric"
equals "$(sed -n 's/^keystore.identity.type=//p' "$SC")" "PKCS12"
KS_SAVED=$KS KS=$TMP/home/repository/resources/security/internal.p12
gcm_req=""
for pair in admin_password=admin 'api_token=tok-[inner]-end'; do
    value=$(awk -v a="${pair%%=*}" 'index($0, a " ") == 1' $T | sed -E "s/^[^=]*= *//; s/^[\"']//; s/[\"']\$//")
    gcm_req+="decrypt gcm-json AES/GCM/NoPadding $value"$'\n'
done
got=$(printf '%s' "$gcm_req" | java -cp "$TMP/java" JavaDecrypt "$KS" PKCS12 wso2carbon wso2carbon) \
    || fail "Java could not decrypt the AES-GCM values"
equals "$got" "$(printf admin | od -An -tx1 | tr -d ' \n')"$'\n'"$(printf 'tok-[inner]-end' | od -An -tx1 | tr -d ' \n')"
KS=$KS_SAVED

# Wrong password: exit 1, nothing changed.
setup_home
BAD=$(pwfile nope)
cp repository/conf/deployment.toml "$TMP/before.toml"
run 1 "$CT" -Dconfigure --password-file "$BAD"
contains "$err" "wso2carbon.jks"
cmp -s $T "$TMP/before.toml" || fail "a failed -Dconfigure changed the file"
ok
[ ! -e "$SC" ] || fail "a failed -Dconfigure wrote secret-conf.properties"
ok
run 2 "$CT" -Dfrobnicate
run 0 "$CT" -help
contains "$out" "-Dconfigure"
# -Dchange needs a terminal; without one it says so instead of hanging.
run 1 "$CT" -Dchange --password-file "$PW"
contains "$err" "terminal"

# --- the legacy layout: no deployment.toml ---
setup_home
rm repository/conf/deployment.toml
run 0 "$CT" -Dconfigure --password-file "$PW"
contains "$err" "carbon.xml Security/KeyStore"
C=repository/conf/security/cipher-text.properties
algo=$(sed -n 's/^secretRepositories.file.algorithm=//p' "$SC")
decrypt_all $C "$algo" Carbon.Security.KeyStore.Password=wso2carbon UserManager.AdminUser.Password=admin \
    'Datasources.SHARED_DB.Configuration.Password=db=secret\with\backslashes' \
    Server.Service.Connector.keystorePass=wso2carbon 'Log.Password=log-pässword'
# The XML files carry the alias and the namespace, the values became "password".
for f in carbon.xml user-mgt.xml datasources/master-datasources.xml tomcat/catalina-server.xml; do
    x=repository/conf/$f
    contains "$(cat $x)" 'xmlns:svns="http://org.wso2.securevault/configuration"'
    contains "$(cat $x)" 'svns:secretAlias="'
done
contains "$(cat repository/conf/carbon.xml)" '<Password svns:secretAlias="Carbon.Security.KeyStore.Password">password</Password>'
contains "$(cat repository/conf/tomcat/catalina-server.xml)" 'keystorePass="password"'
# Only the marked lines and the root element changed in carbon.xml.
equals "$(diff "$SH/fixtures/wso2-home/repository/conf/carbon.xml" repository/conf/carbon.xml | grep -c '^>')" 2
# Idempotent here too.
cp $C "$TMP/once.props"
run 0 "$CT" -Dconfigure --password-file "$PW"
cmp -s $C "$TMP/once.props" || fail "second -Dconfigure changed cipher-text.properties"
ok
# An XML file the map names is missing: exit 1, the map's line, alias and
# file named; no file changed, no secret-conf.properties written.
setup_home
rm repository/conf/deployment.toml repository/conf/user-mgt.xml
run 1 "$CT" -Dconfigure --password-file "$PW"
contains "$err" 'cipher-tool.properties: line 3: alias "UserManager.AdminUser.Password": cannot read'
contains "$err" "user-mgt.xml: No such file or directory"
for f in carbon.xml security/cipher-text.properties; do
    cmp -s "$SH/fixtures/wso2-home/repository/conf/$f" repository/conf/$f || fail "a failed -Dconfigure changed $f"
done
[ ! -e "$SC" ] || fail "a failed -Dconfigure wrote secret-conf.properties"
ok
done_tests
