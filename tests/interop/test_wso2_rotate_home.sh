#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# -Drotate of a home whose values are all raw RSA PKCS#1 v1.5 blocks, sealed
# by Java's JCE (and one by openssl pkeyutl), none naming its key: judged by
# WSO2Resolve.java (WSO2's runtime rules). The old alias is a key entry of the
# home's keystore and every value opens to text with it: rotated, and every
# value resolves with the new alias. A wrong old alias (another key of the
# same size, whose implicit rejection gives bytes), or one that is no key
# entry: refused, deployment.toml and secret-conf.properties byte-identical.
# A raw OAEP block left in that RSA home: the runtime gives its alias name,
# and -Dconfigure, judging it with the home's key, refuses.
# Then secret-conf.properties as FileBaseSecretRepository reads it: only
# encryptionMode=symmetric is the symmetric mode, and an algorithm the
# runtime and libvault do not share is refused, naming the line, by check,
# seal and -Dconfigure alike.
source "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$TMP/java"
javac -d "$TMP/java" "$HERE/JavaDecrypt.java" "$HERE/WSO2Resolve.java" || fail "javac failed"

PW=$(pwfile wso2carbon)
T=repository/conf/deployment.toml
SC=repository/conf/security/secret-conf.properties
KS=repository/resources/security/wso2carbon.jks
ALIASES=(admin_password keystore_password truststore_password shared_db_password
         log4j.appender.LOGEVENT.password api_token already_sealed)
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
wso2_resolve() {
    local got=0
    java -cp "$TMP/java" WSO2Resolve "$TMP/home" wso2carbon >"$TMP/.res" 2>"$TMP/.reserr" || got=$?
    resolved=$(cat "$TMP/.res")
    [ "$got" = "${1:-0}" ] || fail "WSO2's runtime rules: exit $got, want ${1:-0}: $(cat "$TMP/.reserr")"
    ok
}
resolves() { equals "$(awk -F'\t' -v a="$1" '$1 == a { print $2 }' <<<"$resolved")" "$(hex "$2")"; }
save() { cp $T "$TMP/saved.toml"; cp $SC "$TMP/saved.sc"; }
unchanged() {
    cmp -s $T "$TMP/saved.toml" || fail "deployment.toml changed"
    cmp -s $SC "$TMP/saved.sc" || fail "secret-conf.properties changed"
    ok
}
set_value() { sed -i -E "s|^(\"?$1\"?) = .*|\1 = \"$2\"|" $T; }

# A home the Java tool sealed: every value a raw PKCS#1 v1.5 block for
# wso2carbon, secret-conf.properties without an algorithm line (RSA).
cp -r "$SH/fixtures/wso2-home" "$TMP/home"
chmod -R u+w "$TMP/home"
cd "$TMP/home"
req=""
for a in "${ALIASES[@]}"; do req+="encrypt raw RSA $(hex "java-$a")"$'\n'; done
vals=$(printf '%s' "$req" | java -cp "$TMP/java" JavaDecrypt $KS JKS wso2carbon wso2carbon) || fail "Java encrypt"
i=0
while read -r v; do set_value "${ALIASES[$i]}" "$v"; i=$((i + 1)); done <<<"$vals"
equals "$i" "${#ALIASES[@]}"
# one of them sealed by openssl instead, with the certificate alone
keytool -exportcert -rfc -alias wso2carbon -keystore $KS -storepass wso2carbon -file "$TMP/old.pem" 2>/dev/null \
    || fail "keytool -exportcert"
v=$(printf '%s' "ossl-api_token" | openssl pkeyutl -encrypt -certin -inkey "$TMP/old.pem" \
        -pkeyopt rsa_padding_mode:pkcs1 | base64 -w0) || fail "openssl pkeyutl"
set_value api_token "$v"
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
wso2_resolve 0
resolves admin_password java-admin_password
resolves api_token ossl-api_token

# Two more keys of the same size in the home's keystore; the server is to use newkey.
for k in newkey wrongkey; do
    keytool -genkeypair -alias $k -keyalg RSA -keysize 2048 -validity 30 -dname CN=$k -storetype JKS \
        -keystore $KS -storepass wso2carbon -keypass wso2carbon 2>/dev/null || fail "keytool -genkeypair $k"
done
sed -i 's/^alias = "wso2carbon"$/alias = "newkey"/' $T
grep -q '^alias = "newkey"$' $T || fail "the keystore alias of deployment.toml was not set"
save

# A wrong old key: its implicit rejection opens every block to other bytes: refused.
run 1 "$CT" -Drotate -Dold.alias=wrongkey --password-file "$PW"
contains "$err" "does not open to text with the old key"
contains "$err" "$T: alias \""
unchanged
# Not a key entry of the home's keystore at all.
run 1 "$CT" -Drotate -Dold.alias=nosuchkey --password-file "$PW"
contains "$err" "nosuchkey"
unchanged
# The server still gets every old value: nothing was half-done.
wso2_resolve 0
resolves shared_db_password java-shared_db_password

# The right old key: every value opens to text with it, rotated.
run 0 "$CT" -Drotate -Dold.alias=wso2carbon --password-file "$PW"
contains "$err" "rotating from alias \"wso2carbon\" to alias \"newkey\""
contains "$err" "rotated 7 secrets"
contains "$err" "without proof of the old key"
equals "$(sed -n 's/^keystore.identity.alias=//p' $SC)" newkey
equals "$(sed -n 's/^secretRepositories.file.algorithm=//p' $SC)" RSA
wso2_resolve 0
for a in "${ALIASES[@]}"; do
    [ "$a" = api_token ] && resolves "$a" ossl-api_token || resolves "$a" "java-$a"
done
# The old key opens none of the new values (Java's JCE as the judge).
set +e
printf 'decrypt raw RSA/ECB/PKCS1Padding %s\n' "$(sed -n -E 's/^admin_password = "(.*)"$/\1/p' $T)" \
    | java -cp "$TMP/java" JavaDecrypt $KS JKS wso2carbon wso2carbon >"$TMP/.old" 2>/dev/null
j=$?
set -e
[ "$j" != 0 ] || [ "$(cat "$TMP/.old")" != "$(hex java-admin_password)" ] || fail "the old key still opens admin_password"
ok

# A raw block of another padding (OAEP, by Java's JCE) in this RSA home: the
# WSO2 runtime gives its alias name (the judge), and -Dconfigure, which
# opens it with the home's key, refuses to leave it there.
cp $T "$TMP/rotated.toml"
v=$(printf 'encrypt raw RSA/ECB/OAEPwithSHA1andMGF1Padding %s\n' "$(hex java-oaep)" \
        | java -cp "$TMP/java" JavaDecrypt $KS JKS wso2carbon newkey) || fail "Java encrypt OAEP"
set_value api_token "$v"
sed -i '/^\[secrets\]/a fresh_one = "[fresh]"' $T
wso2_resolve 3
resolves api_token api_token
save
run 1 "$CT" -Dconfigure --password-file "$PW"
contains "$err" "alias \"api_token\": a raw RSA block of another padding than the home's"
contains "$err" "RSA/ECB/PKCS1Padding"
unchanged
cp "$TMP/rotated.toml" $T

# An OAEP-SHA256 home: its runtime opens every value with SHA-256 OAEP, so a
# raw OAEP block with SHA-1 gets the alias name (the judge); check -k, which
# opens it with the key, tells the two OAEP digests apart and says so.
sed -i 's|^secretRepositories.file.algorithm=.*|secretRepositories.file.algorithm=RSA/ECB/OAEPWithSHA-256AndMGF1Padding|' $SC
req=""
for a in "${ALIASES[@]}"; do req+="encrypt raw RSA/ECB/OAEPWithSHA-256AndMGF1Padding $(hex "java-$a")"$'\n'; done
vals=$(printf '%s' "$req" | java -cp "$TMP/java" JavaDecrypt $KS JKS wso2carbon newkey) || fail "Java encrypt OAEP-SHA256"
i=0
while read -r v; do set_value "${ALIASES[$i]}" "$v"; i=$((i + 1)); done <<<"$vals"
v=$(printf 'encrypt raw RSA/ECB/OAEPwithSHA1andMGF1Padding %s\n' "$(hex java-sha1)" \
        | java -cp "$TMP/java" JavaDecrypt $KS JKS wso2carbon newkey) || fail "Java encrypt OAEP-SHA1"
set_value api_token "$v"
wso2_resolve 3
resolves api_token api_token
resolves admin_password java-admin_password
run 1 "$CT" check $T -k $KS --password-file "$PW" --alias newkey
contains "$out$err" "api_token"
contains "$out$err" "sealed with RSA-OAEP with SHA-1"
lacks "$out$err" "admin_password"
v=$(printf 'encrypt raw RSA/ECB/OAEPWithSHA-256AndMGF1Padding %s\n' "$(hex java-sha256)" \
        | java -cp "$TMP/java" JavaDecrypt $KS JKS wso2carbon newkey) || fail "Java encrypt OAEP-SHA256"
set_value api_token "$v"
wso2_resolve 0
resolves api_token java-sha256
run 0 "$CT" check $T -k $KS --password-file "$PW" --alias newkey
cp "$TMP/rotated.toml" $T
sed -i 's|^secretRepositories.file.algorithm=.*|secretRepositories.file.algorithm=RSA|' $SC

# --- secret-conf.properties as FileBaseSecretRepository reads it ---
save
# encryptionMode is "symmetric" or nothing: another spelling makes that
# runtime open every value with the algorithm; refused, naming the line.
cp $SC "$TMP/good.sc"
printf 'secretRepositories.file.encryptionMode=key.based.symmetric.encryption\n' >> $SC
line=$(grep -n '^secretRepositories.file.encryptionMode=' $SC | cut -d: -f1)
save
run 1 "$CT" check $T -k $KS --password-file "$PW" --alias newkey
contains "$err" "$SC: line $line: secretRepositories.file.encryptionMode \"key.based.symmetric.encryption\""
contains "$err" "takes only \"symmetric\""
run 1 "$CT" -Dconfigure -Dsymmetric --password-file "$PW"
contains "$err" "$SC: line $line"
unchanged
# An algorithm the runtime and libvault do not share: refused, naming the line.
cp "$TMP/good.sc" $SC
sed -i '/^secretRepositories.file.algorithm=/d' $SC
printf 'secretRepositories.file.algorithm=RSA/ECB/NoSuchPadding\n' >> $SC
line=$(grep -n '^secretRepositories.file.algorithm=' $SC | cut -d: -f1)
sed -i '/^\[secrets\]/a fresh_one = "[fresh]"' $T
save
run 1 "$CT" check $T
contains "$err" "$SC: line $line: secretRepositories.file.algorithm \"RSA/ECB/NoSuchPadding\""
run 1 "$CT" seal $T -k $KS --password-file "$PW" --alias newkey --format wso2 --transformation RSA
contains "$err" "$SC: line $line"
unchanged
run 1 "$CT" -Dconfigure -Dsymmetric --password-file "$PW"
contains "$err" "RSA/ECB/NoSuchPadding"
unchanged
run 1 "$CT" -Dconfigure --password-file "$PW"
contains "$err" "RSA/ECB/NoSuchPadding"
unchanged
# WSO2's runtime cannot open a value with that algorithm either (the judge).
wso2_resolve 1

done_tests
