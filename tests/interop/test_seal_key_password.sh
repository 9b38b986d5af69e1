#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A keystore whose key password differs from its store password, with only the store password
# given (the WSO2 runtime's case of a separate key password): sealing needs only the certificate,
# so seal and -Dconfigure succeed with a warning that the new values were not opened; Java's JCE
# then opens every value with the key password. The keystore is Java-made (unicode.jks).
source "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$TMP/java"
javac -d "$TMP/java" "$HERE/JavaDecrypt.java" || fail "javac failed"
J=$SH/fixtures/java
STORE='pässwörd-密码'
KEY='ключ-пароль'
PW=$(pwfile "$STORE")
declare -A want=([admin_password]=admin [keystore_password]=wso2carbon [truststore_password]=wso2carbon
                 [shared_db_password]='p@ss=w0rd' [log4j.appender.LOGEVENT.password]=läuft
                 [api_token]='tok-[inner]-end')
value_of() { sed -n -E "s/^\"?$1\"? = [\"'](.*)[\"']\$/\1/p" "$2"; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# java_opens FILE KEYSTORE: Java decrypts every value of FILE with the key password.
java_opens() {
    local req="" exp="" a
    for a in "${!want[@]}"; do
        req+="decrypt raw RSA/ECB/OAEPwithSHA1andMGF1Padding $(value_of "$a" "$1")"$'\n'
        exp+="$(hex "${want[$a]}")"$'\n'
    done
    got=$(printf '%s' "$req" | java -cp "$TMP/java" JavaDecrypt "$2" JKS "$STORE" unicode "$KEY") \
        || fail "Java could not decrypt the values of $1"
    equals "$got"$'\n' "$exp"
}

# seal with the store password only
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$TMP/d.toml"
sed -i '/^already_sealed/d' "$TMP/d.toml"
run 0 "$CT" seal "$TMP/d.toml" -k "$J/unicode.jks" --password-file "$PW" \
    --format wso2 --transformation RSA/ECB/OAEPwithSHA1andMGF1Padding
contains "$err" "d.toml: sealed 6 secrets"
contains "$err" "warning:"
contains "$err" "not opened"
java_opens "$TMP/d.toml" "$J/unicode.jks"
# with the key password too, the values are opened before the file is replaced: no warning
cp "$SH/fixtures/wso2-home/repository/conf/deployment.toml" "$TMP/e.toml"
sed -i '/^already_sealed/d' "$TMP/e.toml"
PW2=$(pwfile "$STORE" "$KEY")
run 0 "$CT" seal "$TMP/e.toml" -k "$J/unicode.jks" --password-file "$PW2" \
    --format wso2 --transformation RSA/ECB/OAEPwithSHA1andMGF1Padding --json
lacks "$err" "warning:"
equals "$(printf '%s' "$out" | python3 -c 'import json,sys; f=json.load(sys.stdin)["files"][0]; print(f["opened"], f["key_locked"])')" "True False"
java_opens "$TMP/e.toml" "$J/unicode.jks"

# the drop-in: a product home whose keystore has a separate key password
cp -r "$SH/fixtures/wso2-home" "$TMP/home"
chmod -R u+w "$TMP/home"
cp "$J/unicode.jks" "$TMP/home/repository/resources/security/"
T=$TMP/home/repository/conf/deployment.toml
sed -i -e 's/^file_name = "wso2carbon.jks"$/file_name = "unicode.jks"/' -e 's/^alias = "wso2carbon"$/alias = "unicode"/' \
    -e '/^already_sealed/d' "$T"
cd "$TMP/home"
run 0 "$CT" -Dconfigure --password-file "$PW" -Dorg.wso2.CipherTransformation=RSA/ECB/OAEPwithSHA1andMGF1Padding
contains "$err" "sealed 6 secrets"
contains "$err" "not opened"
java_opens "$T" "$TMP/home/repository/resources/security/unicode.jks"
done_tests
