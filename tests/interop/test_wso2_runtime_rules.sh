#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What the WSO2 runtime gives its server after our -Dconfigure, judged by
# WSO2Resolve.java: WSO2's runtime rules (secret-conf.properties read as
# SecretManager reads it, [secrets] mapped to cipher-text.properties as the
# config mapper's template does, one algorithm or the symmetric mode for
# every value of a home, the alias name returned for a value that fails)
# over Java's KeyStore and JCE.
source "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$TMP/java"
javac -d "$TMP/java" "$HERE/JavaDecrypt.java" "$HERE/WSO2Resolve.java" || fail "javac failed"

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
# wso2_resolve [HOME] [WANT_EXIT]: the secrets WSO2's runtime would give
# the server, "alias<TAB>hex" in $resolved; exit 3 means some alias came
# back as its own name.
wso2_resolve() {
    local home=${1:-$PWD} want=${2:-0} got=0
    java -cp "$TMP/java" WSO2Resolve "$home" wso2carbon >"$TMP/.res" 2>"$TMP/.reserr" || got=$?
    resolved=$(cat "$TMP/.res")
    [ "$got" = "$want" ] || fail "WSO2's runtime rules: exit $got, want $want: $(cat "$TMP/.reserr")"
    ok
}
# opens ALIAS PLAIN: by WSO2's rules the server gets PLAIN for ALIAS (a
# fresh resolution of the current home; every value must open).
opens() {
    wso2_resolve "$PWD" 0
    equals "$(awk -F'\t' -v a="$1" '$1 == a { print $2 }' <<<"$resolved")" "$(hex "$2")"
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
opens already_sealed old-secret
opens admin_password admin
opens api_token 'tok-[inner]-end'

# The judge fails a value the home's one algorithm does not open: an OAEP
# value in this RSA home comes back as its alias name.
oaep=$(printf 'encrypt raw RSA/ECB/OAEPwithSHA1andMGF1Padding %s\n' "$(hex other)" | java_ks wso2carbon) \
    || fail "Java encrypt"
sed -i "s|^already_sealed = .*|already_sealed = \"$oaep\"|" $T
wso2_resolve "$PWD" 3
equals "$(awk -F'\t' '$1 == "already_sealed" { print $2 }' <<<"$resolved")" "$(hex already_sealed)"
contains "$(cat "$TMP/.reserr")" "alias : already_sealed"

# --- no alias configured: the product default, never an empty alias ---
setup_home
sed -i '/^alias = "wso2carbon"$/d' $T
run 0 "$CT" -Dconfigure --password-file "$PW"
equals "$(sed -n 's/^keystore.identity.alias=//p' $SC)" wso2carbon
opens admin_password admin

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
# --- a legacy map entry ",true" on an element xpath (WSO2's documents write
# it): the Java tool replaces the element's text; so do we ---
setup_home
rm $T
M=repository/conf/security/cipher-tool.properties
sed -i 's|^\(Carbon.Security.KeyStore.Password=.*/Password\),false$|\1,true|' $M
grep -q 'KeyStore/Password,true$' $M || fail "the map entry was not changed"
run 0 "$CT" -Dconfigure --password-file "$PW"
# the element judged by Python's XML reader: placeholder text, marked with the alias
python3 - repository/conf/carbon.xml <<'PY' || fail "carbon.xml KeyStore/Password not marked"
import sys, xml.etree.ElementTree as ET
ns = "{http://org.wso2.securevault/configuration}"
e = ET.parse(sys.argv[1]).getroot().find("{*}Security/{*}KeyStore/{*}Password")
assert e is not None and e.text == "password", e
assert e.get(ns + "secretAlias") == "Carbon.Security.KeyStore.Password", e.attrib
PY
ok
opens Carbon.Security.KeyStore.Password wso2carbon
# --- our symmetric home (-Dsymmetric): encryptionMode=symmetric, every
# value AES-GCM with the internal keystore's secret key ---
setup_home
cp "$SH/fixtures/java/internal.p12" repository/resources/security/internal.p12
printf '\n[keystore.internal]\nfile_name = "internal.p12"\ntype = "PKCS12"\nalias = "wso2carbon"\n' >> $T
sed -i '/^already_sealed = /d' $T
run 0 "$CT" -Dconfigure -Dsymmetric --password-file "$PW"
opens admin_password admin
opens api_token 'tok-[inner]-end'
# an RSA value in the symmetric home comes back as its alias name; render
# and check say so
rsa=$(printf 'encrypt raw RSA %s\n' "$(hex rsa-secret)" | java_ks wso2carbon) || fail "Java encrypt"
printf 'rsa_value = "%s"\n' "$rsa" > "$TMP/rsa.line"
sed -i "/^admin_password = /r $TMP/rsa.line" $T
grep -q '^rsa_value = ' $T || fail "rsa_value not added"
wso2_resolve "$PWD" 3
equals "$(awk -F'\t' '$1 == "rsa_value" { print $2 }' <<<"$resolved")" "$(hex rsa_value)"
run 1 "$CT" check $T
contains "$err" "alias \"rsa_value\": not opened by the WSO2 runtime"
printf 'x=$secret{admin_password}\n' > "$TMP/tpl"
run 1 "$CT" render "$TMP/tpl" -c . --password-file "$PW"
contains "$err" "rsa_value"
contains "$err" "symmetric mode"
done_tests
