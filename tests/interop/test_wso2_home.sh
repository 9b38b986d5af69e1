#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A product home used the way the WSO2 server uses it, judged by
# WSO2Resolve.java (WSO2's runtime rules over Java's KeyStore and JCE):
# render/exec read the root password files and systemd credentials as the
# server does.
source "$(dirname "$0")/../cli/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$TMP/java"
javac -d "$TMP/java" "$HERE/WSO2Resolve.java" "$HERE/JavaDecrypt.java" || fail "javac failed"

PW=$(pwfile wso2carbon)
T=repository/conf/deployment.toml
setup_home() {
    cd "$TMP"
    rm -rf "$TMP/home"
    cp -r "$SH/fixtures/wso2-home" "$TMP/home"
    chmod -R u+w "$TMP/home"
    cd "$TMP/home"
}
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
# wso2_resolve HOME [WANT_EXIT]: "alias<TAB>hex" in $resolved.
wso2_resolve() {
    local got=0
    java -cp "$TMP/java" WSO2Resolve "$1" wso2carbon >"$TMP/.res" 2>"$TMP/.reserr" || got=$?
    resolved=$(cat "$TMP/.res")
    [ "$got" = "${2:-0}" ] || fail "WSO2's runtime rules: exit $got, want ${2:-0}: $(cat "$TMP/.reserr")"
    ok
}
resolved_hex() { awk -F'\t' -v a="$1" '$1 == a { print $2 }' <<<"$resolved"; }

# --- render/exec given a product home: the root password files ---
setup_home
run 0 "$CT" -Dconfigure --password-file "$PW"
wso2_resolve "$TMP/home"
printf 'admin=$secret{admin_password}\n' > "$TMP/tpl"
want="admin=admin"
equals "$(resolved_hex admin_password)" "$(hex admin)"

# password-tmp: read, then deleted (as the server's DefaultSecretCallbackHandler does)
printf 'wso2carbon\n' > password-tmp && chmod 600 password-tmp
run 0 "$CT" render "$TMP/tpl" -c "$TMP/home"
equals "$out" "$want"
[ ! -e password-tmp ] || fail "password-tmp was not deleted"
ok
# nothing left: no password source, exit 1 naming the files tried
run 1 "$CT" render "$TMP/tpl" -c "$TMP/home"
contains "$err" "the password files in $TMP/home"

# password-persist: read and kept
printf 'wso2carbon\n' > password-persist && chmod 600 password-persist
run 0 "$CT" render "$TMP/tpl" -c "$TMP/home"
equals "$out" "$want"
[ -f password-persist ] || fail "password-persist was removed"
ok
run 0 "$CT" exec -c "$TMP/home" --env ADMIN=admin_password -- sh -c 'test "$ADMIN" = admin'
# a wrong password in it: exit 1, nothing rendered
printf 'nope\n' > password-persist
run 1 "$CT" render "$TMP/tpl" -c "$TMP/home"
equals "$out" ""
# readable by others: refused, showing the mode
printf 'wso2carbon\n' > password-persist && chmod 644 password-persist
run 1 "$CT" render "$TMP/tpl" -c "$TMP/home"
contains "$err" "password-persist"
rm password-persist

# check given the home: its config, and with -k the password from its files
run 0 "$CT" check "$TMP/home"
KS=$TMP/home/repository/resources/security/wso2carbon.jks
printf 'wso2carbon\n' > password-tmp && chmod 600 password-tmp
run 0 "$CT" check "$TMP/home" -k "$KS"
contains "$err" "every value opens"
[ ! -e password-tmp ] || fail "check left password-tmp"
ok
run 1 "$CT" check "$TMP/home" -k "$KS"
contains "$err" "wso2carbon.jks: a store password is required"

# password: read, then renamed to password-tmp, which the next start reads
# and deletes (DefaultSecretCallbackHandler)
printf 'wso2carbon\n' > password && chmod 600 password
run 0 "$CT" render "$TMP/tpl" -c "$TMP/home"
equals "$out" "$want"
[ ! -e password ] && [ -f password-tmp ] || fail "password was not renamed to password-tmp"
ok
run 0 "$CT" render "$TMP/tpl" -c "$TMP/home"
[ ! -e password-tmp ] || fail "the password file was left behind"
ok

# an explicit option wins over the home's files, which stay untouched
printf 'nope\n' > password-persist && chmod 600 password-persist
run 0 "$CT" render "$TMP/tpl" -c "$TMP/home" --password-file "$PW"
equals "$out" "$want"
rm password-persist

# systemd credentials ($CREDENTIALS_DIRECTORY, as a service unit gives them)
mkdir -m 700 "$TMP/creds"
printf 'wso2carbon\n' > "$TMP/creds/keystore-password" && chmod 600 "$TMP/creds/keystore-password"
run 0 env CREDENTIALS_DIRECTORY="$TMP/creds" "$CT" render "$TMP/tpl" -c "$TMP/home"
equals "$out" "$want"
run 0 env CREDENTIALS_DIRECTORY="$TMP/creds" "$CT" render "$TMP/tpl" -c "$TMP/home/$T"
equals "$out" "$want"
# --- file_name written as the operators write it, resolved as the Java tool does ---
setup_home
run 0 "$CT" -Dconfigure --password-file "$PW"
for f in '${carbon.home}/repository/resources/security/wso2carbon.jks' \
    'repository/resources/security/wso2carbon.jks'; do
    sed -i "/^\[keystore.primary\]/,/^\[/ s|^file_name = .*|file_name = \"$f\"|" $T
    grep -qF "file_name = \"$f\"" $T || fail "file_name not set"
    run 0 "$CT" render "$TMP/tpl" -c "$TMP/home" --password-file "$PW"
    equals "$out" "$want"
done

# --- an EI/MI home: conf/deployment.toml, conf/carbon.xml, conf/security/,
# keystores in repository/resources/security/ ---
setup_home
run 0 "$CT" -Dconfigure --password-file "$PW"
mkdir conf
mv repository/conf/* conf/
rmdir repository/conf
sed -i 's|^secretRepositories.file.location=.*|secretRepositories.file.location=conf/security/cipher-text.properties|' \
    conf/security/secret-conf.properties
wso2_resolve "$TMP/home"
equals "$(resolved_hex admin_password)" "$(hex admin)"
run 0 "$CT" render "$TMP/tpl" -c "$TMP/home" --password-file "$PW"
equals "$out" "$want"
run 0 "$CT" render "$TMP/tpl" -c "$TMP/home/conf/deployment.toml" --password-file "$PW"
equals "$out" "$want"
printf 'wso2carbon\n' > password-tmp && chmod 600 password-tmp
run 0 "$CT" exec -c "$TMP/home" --env ADMIN=admin_password -- sh -c 'test "$ADMIN" = admin'
[ ! -e password-tmp ] || fail "password-tmp was not deleted"
ok
# -Dconfigure in an EI/MI home, run from its bin/ as ciphertool.sh is: the
# files it reads and writes are under conf/, none under repository/conf/
setup_home
mkdir conf bin
mv repository/conf/* conf/
rmdir repository/conf
cd bin
run 0 env -u CARBON_HOME "$CT" -Dconfigure --password-file "$PW"
cd "$TMP/home"
[ -f conf/security/secret-conf.properties ] || fail "no conf/security/secret-conf.properties"
[ ! -e repository/conf ] || fail "repository/conf was created in an EI/MI home"
ok
contains "$(cat conf/security/secret-conf.properties)" \
    "secretRepositories.file.location=conf/security/cipher-text.properties"
lacks "$(cat conf/deployment.toml)" '"[admin]"'
wso2_resolve "$TMP/home"
equals "$(resolved_hex admin_password)" "$(hex admin)"
run 0 "$CT" render "$TMP/tpl" -c "$TMP/home" --password-file "$PW"
equals "$out" "$want"
# the legacy EI home: conf/security/cipher-text.properties, the keystore from conf/carbon.xml
setup_home
rm $T
run 0 "$CT" -Dconfigure --password-file "$PW"
mkdir conf
mv repository/conf/* conf/
rmdir repository/conf
sed -i 's|^secretRepositories.file.location=.*|secretRepositories.file.location=conf/security/cipher-text.properties|' \
    conf/security/secret-conf.properties
wso2_resolve "$TMP/home"
printf 'log=$secret{UserManager.AdminUser.Password}\n' > "$TMP/tpl2"
run 0 "$CT" render "$TMP/tpl2" -c "$TMP/home" --password-file "$PW"
equals "$out" "log=admin"
equals "$(resolved_hex UserManager.AdminUser.Password)" "$(hex admin)"
# --- what the operator wrote, read as the Java tool reads it ---
# deployment.toml: the text between the first '[' and the last ']'; never
# "already sealed"; a warning that text outside the brackets is dropped.
setup_home
sed -i 's|^api_token = .*|api_token = "[abc] tail"\nmid = "x[y]z"|' $T
run 0 "$CT" -Dconfigure --password-file "$PW"
contains "$err" "sealed 7 secrets, 1 already sealed"
contains "$err" "alias \"api_token\": the text outside the brackets is dropped"
lacks "$err" "tail"
wso2_resolve "$TMP/home"
equals "$(resolved_hex api_token)" "$(hex abc)"
equals "$(resolved_hex mid)" "$(hex y)"
# legacy properties: stop at the first ']'; ISO-8859-1 bytes as Java reads them
setup_home
rm $T
CTP=repository/conf/security/cipher-text.properties
printf 'Br.Password=[a]b]\nLatin.Password=[l\344uft]\nEsc.Password=[l\\u00e4uft]\n' >> $CTP
run 0 "$CT" -Dconfigure --password-file "$PW"
contains "$err" "alias \"Br.Password\": the text outside the brackets is dropped"
wso2_resolve "$TMP/home"
equals "$(resolved_hex Br.Password)" "$(hex a)"
equals "$(resolved_hex Latin.Password)" 6cc3a4756674
equals "$(resolved_hex Esc.Password)" 6cc3a4756674
# a UTF-8 file: sealed as the operator meant it, with a warning
setup_home
rm $T
printf 'Utf.Password=[l\303\244uft]\n' >> $CTP
run 0 "$CT" -Dconfigure --password-file "$PW"
contains "$err" "alias \"Utf.Password\": non-ASCII text sealed as the UTF-8 it is"
wso2_resolve "$TMP/home"
equals "$(resolved_hex Utf.Password)" 6cc3a4756674
# --- render judges a home as its runtime will: one algorithm per home ---
java_ks() { java -cp "$TMP/java" JavaDecrypt "$TMP/home/repository/resources/security/wso2carbon.jks" JKS wso2carbon "$@"; }
setup_home
rm $T
run 0 "$CT" -Dconfigure --password-file "$PW"
sed -i '/^secretRepositories.file.algorithm=/d' repository/conf/security/secret-conf.properties
CTP=repository/conf/security/cipher-text.properties
# a home of RSA (PKCS#1 v1.5) values, as the Java tool writes them
pk=$(printf 'encrypt raw RSA %s\n' "$(hex pk-secret)" | java_ks wso2carbon) || fail "Java encrypt"
printf 'Pk.Password=%s\n' "$pk" > $CTP
printf 'pk=$secret{Pk.Password}\n' > "$TMP/tpl3"
wso2_resolve "$TMP/home"
run 0 "$CT" render "$TMP/tpl3" -c "$TMP/home" --password-file "$PW"
equals "$out" "pk=pk-secret"
# an OAEP value in it: the runtime gives the alias name; render fails naming it
oaep=$(printf 'encrypt raw RSA/ECB/OAEPwithSHA1andMGF1Padding %s\n' "$(hex oaep-secret)" | java_ks wso2carbon) \
    || fail "Java encrypt"
printf 'Oaep.Password=%s\n' "$oaep" >> $CTP
wso2_resolve "$TMP/home" 3
equals "$(resolved_hex Oaep.Password)" "$(hex Oaep.Password)"
run 1 "$CT" render "$TMP/tpl3" -c "$TMP/home" --password-file "$PW"
contains "$err" "\"Oaep.Password\""
contains "$err" "opens every value with RSA"
lacks "$err" "oaep-secret"
# a native value (libvault opens it; the WSO2 runtime does not)
sed -i '/^Oaep.Password=/d' $CTP
native=$(printf 'native-secret' | "$CT" encrypt --cert "$SH/fixtures/java/identity.pem") || fail "encrypt"
printf 'Native.Password=%s\n' "$native" >> $CTP
wso2_resolve "$TMP/home" 3
run 1 "$CT" render "$TMP/tpl3" -c "$TMP/home" --password-file "$PW"
contains "$err" "\"Native.Password\""
contains "$err" "the server would get the alias name"
# an OAEP home: a PKCS#1 v1.5 value fails as the runtime fails it
sed -i '/^Native.Password=/d' $CTP
printf 'Oaep.Password=%s\n' "$oaep" >> $CTP
echo 'secretRepositories.file.algorithm=RSA/ECB/OAEPwithSHA1andMGF1Padding' >> repository/conf/security/secret-conf.properties
wso2_resolve "$TMP/home" 3
equals "$(resolved_hex Pk.Password)" "$(hex Pk.Password)"
run 1 "$CT" render "$TMP/tpl3" -c "$TMP/home" --password-file "$PW"
contains "$err" "\"Pk.Password\""
sed -i '/^Pk.Password=/d' $CTP
wso2_resolve "$TMP/home"
printf 'o=$secret{Oaep.Password}\n' > "$TMP/tpl4"
run 0 "$CT" render "$TMP/tpl4" -c "$TMP/home" --password-file "$PW"
equals "$out" "o=oaep-secret"
done_tests
