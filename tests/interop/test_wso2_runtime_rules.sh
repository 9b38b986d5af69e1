#!/usr/bin/env bash
# What the WSO2 runtime reads from secret-conf.properties after our
# -Dconfigure, judged by Java's JCE: one algorithm for every value of a home
# (absent line = RSA, PKCS#1 v1.5), a non-empty key alias, the keystore
# location relative to the home.
source "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$TMP/java"
javac -d "$TMP/java" "$HERE/JavaDecrypt.java" || fail "javac failed"

PW=$(pwfile wso2carbon)
T=repository/conf/deployment.toml
SC=repository/conf/security/secret-conf.properties
setup_home() {
    cd "$TMP"
    rm -rf "$TMP/home" "$TMP/moved"
    cp -r "$SH/fixtures/wso2-home" "$TMP/home"
    chmod -R u+w "$TMP/home"
    cd "$TMP/home"
}
java_ks() { java -cp "$TMP/java" JavaDecrypt "$TMP/home/repository/resources/security/wso2carbon.jks" JKS wso2carbon "$@"; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# The algorithm the server uses for the whole home, as SecretManager reads it.
runtime_algorithm() {
    local a
    a=$(sed -n 's/^secretRepositories.file.algorithm=//p' "$SC")
    echo "${a:-RSA}"
}
toml_value() { awk -v a="$1" 'index($0, a " ") == 1' $T | sed -E "s/^[^=]*= *//; s/^[\"']//; s/[\"']\$//"; }
# opens ALIAS PLAIN [KEYALIAS]: the server's algorithm opens the value.
opens() {
    local got
    got=$(printf 'decrypt raw %s %s\n' "$(runtime_algorithm)" "$(toml_value "$1")" | java_ks "${3:-wso2carbon}") \
        || fail "Java cannot open $1 with $(runtime_algorithm)"
    equals "$got" "$(hex "$2")"
}

# --- a home the Java tool sealed (RSA, no algorithm line) gets one more secret ---
setup_home
old=$(printf 'encrypt raw RSA %s\n' "$(hex old-secret)" | java_ks wso2carbon) || fail "Java encrypt"
sed -i "s|^already_sealed = .*|already_sealed = \"$old\"|" $T
cat > $SC <<'CONF'
secVault.enabled=true
secretRepositories=file
secretRepositories.file.provider=org.wso2.securevault.secret.repository.FileBaseSecretRepositoryProvider
secretRepositories.file.location=repository/conf/security/cipher-text.properties
keystore.identity.location=repository/resources/security/wso2carbon.jks
keystore.identity.type=JKS
keystore.identity.alias=wso2carbon
keystore.identity.store.password=identity.store.password
keystore.identity.key.password=identity.key.password
CONF
cp $T "$TMP/java-sealed.toml"; cp $SC "$TMP/java-sealed.sc"
# asking for another padding while RSA values remain: refused, nothing changed
run 1 "$CT" -Dconfigure -Dorg.wso2.CipherTransformation=RSA/ECB/OAEPwithSHA1andMGF1Padding --password-file "$PW"
contains "$err" "values sealed with RSA exist"
contains "$err" "deployment.toml"
cmp -s $T "$TMP/java-sealed.toml" || fail "a refused -Dconfigure changed deployment.toml"
cmp -s $SC "$TMP/java-sealed.sc" || fail "a refused -Dconfigure changed secret-conf.properties"
ok
run 0 "$CT" -Dconfigure --password-file "$PW"
equals "$(runtime_algorithm)" RSA
opens already_sealed old-secret
opens admin_password admin
opens api_token 'tok-[inner]-end'

# --- no alias configured: the product default, never an empty alias ---
setup_home
sed -i '/^alias = "wso2carbon"$/d' $T
run 0 "$CT" -Dconfigure --password-file "$PW"
equals "$(sed -n 's/^keystore.identity.alias=//p' $SC)" wso2carbon
opens admin_password admin "$(sed -n 's/^keystore.identity.alias=//p' $SC)"

# --- a moved legacy home: the keystore is found inside the new home ---
setup_home
rm $T
run 0 "$CT" -Dconfigure --password-file "$PW"
equals "$(sed -n 's/^keystore.identity.location=//p' $SC)" repository/resources/security/wso2carbon.jks
cd "$TMP" && mv home moved && cd moved
run 0 "$CT" -Dconfigure --password-file "$PW"
contains "$err" "using the keystore of ./repository/conf/security/secret-conf.properties: ./repository/resources/security/wso2carbon.jks"
lacks "$err" "$TMP/home/"

# --- run from <HOME>/bin as ciphertool.sh is, with a JCE provider option ---
setup_home
mkdir bin && cd bin
unset CARBON_HOME
run 0 "$CT" -Dconfigure -Dsecurity.jce.provider=BC --password-file "$PW"
contains "$err" "note: -Dsecurity.jce.provider=BC"
cd ..
opens admin_password admin
run 2 "$CT" -Dconfigure -Dsecurity.jce.provider=SunJCE --password-file "$PW"
done_tests
