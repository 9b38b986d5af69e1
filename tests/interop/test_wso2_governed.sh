#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A product home governed by its secret-conf.properties, judged by
# WSO2Resolve.java (WSO2's runtime rules over Java's KeyStore and JCE): the
# runtime opens every value with the one algorithm (or mode) named there, so
# a command that would write another kind of value is refused and changes
# nothing; without --format seal, change and set pick what that runtime
# opens. Then the root password files as carbon-kernel's
# DefaultSecretCallbackHandler treats them: `password` read and renamed to
# `password-tmp`, `password-tmp` read and deleted, `password-persist` kept,
# a second line only with -Dkey.password=true.
source "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$TMP/java"
javac -d "$TMP/java" "$HERE/JavaDecrypt.java" "$HERE/WSO2Resolve.java" || fail "javac failed"

PW=$(pwfile wso2carbon)
T=repository/conf/deployment.toml
SC=repository/conf/security/secret-conf.properties
KS=repository/resources/security/wso2carbon.jks
setup_home() {
    cd "$TMP"
    rm -rf "$TMP/home"
    cp -r "$SH/fixtures/wso2-home" "$TMP/home"
    chmod -R u+w "$TMP/home"
    cd "$TMP/home"
}
java_ks() { java -cp "$TMP/java" JavaDecrypt "$TMP/home/$KS" JKS wso2carbon "$@"; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# wso2_resolve [WANT_EXIT] [STOREPASS] [KEYPASS]: what WSO2's runtime gives
# the server, "alias<TAB>hex" in $resolved; 3: some alias came back as its name.
wso2_resolve() {
    local got=0
    java -cp "$TMP/java" WSO2Resolve "$TMP/home" "${2:-wso2carbon}" ${3:+"$3"} >"$TMP/.res" 2>"$TMP/.reserr" \
        || got=$?
    resolved=$(cat "$TMP/.res")
    [ "$got" = "${1:-0}" ] || fail "WSO2's runtime rules: exit $got, want ${1:-0}: $(cat "$TMP/.reserr")"
    ok
}
resolves() { equals "$(awk -F'\t' -v a="$1" '$1 == a { print $2 }' <<<"$resolved")" "$(hex "$2")"; }
# unchanged: the config and secret-conf.properties are byte for byte the saved ones
save() { cp $T "$TMP/saved.toml"; cp $SC "$TMP/saved.sc"; }
unchanged() {
    cmp -s $T "$TMP/saved.toml" || fail "deployment.toml changed"
    cmp -s $SC "$TMP/saved.sc" || fail "secret-conf.properties changed"
    ok
}

# --- a home the Java tool sealed: PKCS#1 v1.5, secret-conf.properties without
# an algorithm line (RSA), every secret sealed by Java ---
java_home() {
    setup_home
    local a req="" vals i=0
    for a in "${ALIASES[@]}"; do req+="encrypt raw RSA $(hex "java-$a")"$'\n'; done
    vals=$(printf '%s' "$req" | java_ks wso2carbon) || fail "Java encrypt"
    while read -r v; do
        a=${ALIASES[$i]}; i=$((i + 1))
        sed -i -E "s|^(\"?$a\"?) = .*|\1 = \"$v\"|" $T
    done <<<"$vals"
    [ "$i" = "${#ALIASES[@]}" ] || fail "Java sealed $i values"; ok
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
    save
}

ALIASES=(admin_password keystore_password truststore_password shared_db_password
         log4j.appender.LOGEVENT.password api_token already_sealed)
java_home
CERT=$TMP/wso2carbon.pem
keytool -exportcert -rfc -alias wso2carbon -keystore $KS -storepass wso2carbon -file "$CERT" 2>/dev/null \
    || fail "keytool -exportcert"
run 0 "$CT" check $T # no plain value left
# plain rotate (native by default): refused, nothing written, every alias named
run 1 "$CT" rotate $T --from-keystore $KS --from-password-file "$PW" -k $KS --password-file "$PW"
contains "$err" "$T: alias \"admin_password\""
contains "$err" "alias \"already_sealed\""
contains "$err" "RSA/ECB/PKCS1Padding"
contains "$err" "$SC)"
contains "$err" "hint:"
contains "$err" "--not-for-wso2-runtime"
unchanged
# seal --format native of one new plain value: refused
sed -i '/^\[secrets\]/a new_one = "[fresh]"' $T
save
run 1 "$CT" seal $T --cert "$CERT" --format native
contains "$err" "alias \"new_one\""
contains "$err" "a native value"
unchanged
# --format wso2 in OAEP: the padding is another: refused
run 1 "$CT" seal $T -k $KS --password-file "$PW" --format wso2 \
    --transformation RSA/ECB/OAEPwithSHA1andMGF1Padding
contains "$err" "RSA/ECB/OAEPwithSHA1andMGF1Padding"
unchanged
# the holder form (JSON with the thumbprint) is not what that runtime reads either
run 1 "$CT" seal $T -k $KS --password-file "$PW" --format wso2-holder --transformation RSA
contains "$err" "holder"
unchanged
run_in 1 'changed' "$CT" change $T admin_password --cert "$CERT" --format native
contains "$err" "alias \"admin_password\""
unchanged
run_in 1 'created' "$CT" set $T brand_new --cert "$CERT" --format native
contains "$err" "alias \"brand_new\""
unchanged
run 1 "$CT" seal $T --cert "$CERT" --format native --json
contains "$out" '"status": "failed"'
unchanged

# without --format: what the home's runtime opens (PKCS#1 v1.5 here)
run 0 "$CT" seal $T -k $KS --password-file "$PW"
contains "$err" "sealing with RSA/ECB/PKCS1Padding"
wso2_resolve 0
resolves new_one fresh
resolves admin_password java-admin_password
run_in 0 'changed-pw' "$CT" change $T admin_password --cert "$CERT"
run_in 0 'set-pw' "$CT" set $T brand_new -k $KS --password-file "$PW"
wso2_resolve 0
resolves admin_password changed-pw
resolves brand_new set-pw
resolves keystore_password java-keystore_password
save
# edit too: a scripted editor changes one value
printf '#!/bin/sh\nsed -i "s/^truststore_password = .*/truststore_password = \\"[edited-pw]\\"/" "$1"\n' \
    > "$TMP/editor.sh"
chmod +x "$TMP/editor.sh"
run 1 env EDITOR="$TMP/editor.sh" "$CT" edit $T -k $KS --password-file "$PW" --format native
contains "$err" "alias \"truststore_password\""
unchanged
run 0 env EDITOR="$TMP/editor.sh" "$CT" edit $T -k $KS --password-file "$PW"
wso2_resolve 0
resolves truststore_password edited-pw
resolves admin_password changed-pw
save

# the opt-out writes the values anyway; the WSO2 runtime then gives the alias
# names instead of the secrets, and check says so (PKCS#1 v1.5 values name no
# key: the old key is proved by being the one the home is configured with)
run 0 "$CT" rotate $T --from-keystore $KS --from-password-file "$PW" -k $KS --password-file "$PW" \
    --not-for-wso2-runtime --accept-unproven-pkcs1
contains "$err" "rotated 9 secrets to native"
cmp -s $SC "$TMP/saved.sc" || fail "secret-conf.properties changed"; ok
wso2_resolve 3
resolves admin_password admin_password
run 1 "$CT" check $T -k $KS --password-file "$PW"
contains "$err" "not opened by the WSO2 runtime"
# -Drotate to another key and algorithm rewrites secret-conf.properties with
# the values: the home is the WSO2 runtime's again
keytool -genkeypair -alias newkey -keyalg RSA -keysize 2048 -validity 30 -dname CN=newkey -storetype JKS \
    -keystore $KS -storepass wso2carbon -keypass wso2carbon 2>/dev/null || fail "keytool -genkeypair"
sed -i 's/^alias = "wso2carbon"$/alias = "newkey"/' $T
run 0 "$CT" -Drotate -Dold.alias=wso2carbon --password-file "$PW" \
    -Dorg.wso2.CipherTransformation=RSA/ECB/OAEPwithSHA1andMGF1Padding
equals "$(sed -n 's/^secretRepositories.file.algorithm=//p' $SC)" "RSA/ECB/OAEPwithSHA1andMGF1Padding"
equals "$(sed -n 's/^keystore.identity.alias=//p' $SC)" "newkey"
wso2_resolve 0
resolves admin_password changed-pw
resolves new_one fresh
run 0 "$CT" check $T -k $KS --alias newkey --password-file "$PW"
# now PKCS#1 v1.5 is the other padding: refused
save
run 1 "$CT" rotate $T --from-keystore $KS --from-alias newkey --from-password-file "$PW" \
    -k $KS --alias newkey --password-file "$PW" --format wso2 --transformation RSA
contains "$err" "RSA/ECB/OAEPwithSHA1andMGF1Padding"
unchanged
# and a plain seal now picks OAEP
sed -i '/^\[secrets\]/a later = "[later-pw]"' $T
keytool -exportcert -rfc -alias newkey -keystore $KS -storepass wso2carbon -file "$CERT" 2>/dev/null \
    || fail "keytool -exportcert"
run 0 "$CT" seal $T --cert "$CERT"
contains "$err" "sealing with RSA/ECB/OAEPwithSHA1andMGF1Padding"
wso2_resolve 0
resolves later later-pw
# -Dconfigure -Dsymmetric while RSA values remain: refused, nothing written
cp "$SH/fixtures/java/internal.p12" repository/resources/security/internal.p12
printf '\n[keystore.internal]\nfile_name = "internal.p12"\ntype = "PKCS12"\nalias = "wso2carbon"\n' >> $T
sed -i '/^\[secrets\]/a sym_new = "[sym]"' $T
save
run 1 "$CT" -Dconfigure -Dsymmetric --password-file "$PW"
contains "$err" "alias \"admin_password\": sealed as"
contains "$err" "-Drotate"
unchanged

# --- the root password files ---
setup_home
run 0 "$CT" -Dconfigure --password-file "$PW"
printf 'a=$secret{admin_password}\n' > "$TMP/tpl"
# password: read, then renamed to password-tmp (which the next start reads)
printf 'wso2carbon\n' > password && chmod 600 password && cp password "$TMP/password.saved"
run 0 "$CT" render "$TMP/tpl" -c .
equals "$out" "a=admin"
[ ! -e password ] || fail "password is still there"; ok
cmp -s password-tmp "$TMP/password.saved" || fail "password-tmp is not the renamed password"; ok
# password-tmp: read, then deleted
run 0 "$CT" render "$TMP/tpl" -c .
equals "$out" "a=admin"
[ ! -e password-tmp ] || fail "password-tmp was not deleted"; ok
run 1 "$CT" render "$TMP/tpl" -c .
contains "$err" "no password source"
# password-persist: read and kept, byte for byte
printf 'wso2carbon\n' > password-persist && chmod 600 password-persist && cp password-persist "$TMP/persist.saved"
run 0 "$CT" exec -c . --env A=admin_password -- sh -c 'test "$A" = admin'
cmp -s password-persist "$TMP/persist.saved" || fail "password-persist changed"; ok
rm password-persist
# -Dpersist.password=true: nothing renamed, nothing deleted
printf 'wso2carbon\n' > password && chmod 600 password
run 0 "$CT" render "$TMP/tpl" -c . -Dpersist.password=true
[ -f password ] && [ ! -e password-tmp ] || fail "-Dpersist.password=true moved the password file"; ok
mv password password-tmp
run 0 "$CT" check . -k $KS -Dpersist.password=true
[ -f password-tmp ] || fail "-Dpersist.password=true deleted password-tmp"; ok
rm password-tmp
# without -Dkey.password=true the second line is not read: the first is both passwords
printf 'wso2carbon\nnot-the-key-password\n' > password-tmp && chmod 600 password-tmp
run 0 "$CT" render "$TMP/tpl" -c .
equals "$out" "a=admin"
run 2 "$CT" render "$TMP/tpl" -c . -Dkey.password=maybe
contains "$err" "-Dkey.password"

# --- -Dkey.password=true: a keystore whose key password differs ---
setup_home
keytool -genkeypair -alias wso2carbon -keyalg RSA -keysize 2048 -validity 30 -dname CN=split -storetype JKS \
    -keystore repository/resources/security/split.jks -storepass store-pw -keypass key-pw 2>/dev/null \
    || fail "keytool -genkeypair"
sed -i '/^\[keystore.primary\]/,/^\[/ s|^file_name = .*|file_name = "split.jks"|' $T
sed -i '/^already_sealed = /d' $T
SPW=$(pwfile store-pw)
run 0 "$CT" -Dconfigure --password-file "$SPW"
wso2_resolve 0 store-pw key-pw
resolves admin_password admin
printf 'store-pw\nkey-pw\n' > password-tmp && chmod 600 password-tmp
# as the server without -Dkey.password=true: the store password for the key too: it fails
run 1 "$CT" render "$TMP/tpl" -c .
equals "$out" ""
[ ! -e password-tmp ] || fail "password-tmp was not deleted"; ok
printf 'store-pw\nkey-pw\n' > password-tmp && chmod 600 password-tmp
run 0 "$CT" render "$TMP/tpl" -c . -Dkey.password=true
equals "$out" "a=admin"
[ ! -e password-tmp ] || fail "password-tmp was not deleted"; ok
printf 'store-pw\nkey-pw\n' > password-persist && chmod 600 password-persist
run 0 "$CT" exec -c . -Dkey.password=true --env A=admin_password -- sh -c 'test "$A" = admin'
run 0 "$CT" check . -k repository/resources/security/split.jks -Dkey.password=true
contains "$err" "every value opens"
# with it, a file of one line is refused, naming the file
printf 'store-pw\n' > password-persist
run 1 "$CT" render "$TMP/tpl" -c . -Dkey.password=true
contains "$err" "password-persist: no second line"
rm password-persist
# the explicit options still work, and win over the home's files
KPW=$(pwfile key-pw)
printf 'nope\n' > password-persist && chmod 600 password-persist
run 0 "$CT" render "$TMP/tpl" -c . --password-file "$SPW" --key-password-file "$KPW"
equals "$out" "a=admin"
done_tests
