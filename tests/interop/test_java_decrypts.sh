#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Java as the judge: what cipher-tool seals in the WSO2 formats, Java 17's
# KeyStore and Cipher (used as WSO2 uses them, JavaDecrypt.java) open to
# exactly the original bytes; and what Java seals, cipher-tool opens. With
# Java's own keystores and with fresh ones keytool makes here.
source "$(dirname "$0")/../cli/lib.sh"
J=$SH/fixtures/java
HERE=$(cd "$(dirname "$0")" && pwd)
PW=$(pwfile wso2carbon)
FRESH_PW=$(pwfile changeit)

command -v javac >/dev/null && command -v keytool >/dev/null || fail "javac and keytool are needed (openjdk-17-jdk-headless)"
mkdir -p "$TMP/java"
javac -d "$TMP/java" "$HERE/JavaDecrypt.java" || fail "javac failed"
java_judge() { java -cp "$TMP/java" JavaDecrypt "$@"; }

keytool -genkeypair -alias fresh -keyalg RSA -keysize 3072 -storetype PKCS12 -keystore "$TMP/fresh.p12" \
    -storepass changeit -dname CN=fresh -validity 2 2>/dev/null || fail "keytool -genkeypair"
keytool -genseckey -alias aes -keyalg AES -keysize 256 -storetype JCEKS -keystore "$TMP/aes.jceks" \
    -storepass changeit -keypass changeit 2>/dev/null || fail "keytool -genseckey"

hex() { od -An -v -tx1 | tr -d ' \n'; }
xs() { head -c "$1" /dev/zero | tr '\0' x; }
UTF8='pässwörd-密码-🔑'
REQ=$TMP/requests
WANT=$TMP/want

# seal FORM ARGS -- PLAINTEXT...: seal each plaintext with cipher-tool and
# queue a request for Java: "decrypt FORM JAVA_TRANSFORMATION VALUE".
queue() {
    local form=$1 jt=$2 ks=$3 pw=$4; shift 4
    local -a args=()
    while [ "$1" != -- ]; do args+=("$1"); shift; done; shift
    local p value
    for p in "$@"; do
        value=$(printf '%s' "$p" | "$CT" encrypt -k "$ks" --password-file "$pw" "${args[@]}") \
            || fail "cipher-tool encrypt ${args[*]} (${#p} chars)"
        printf 'decrypt %s %s %s\n' "$form" "$jt" "$value" >> "$REQ"
        printf '%s' "$p" | hex >> "$WANT"
        echo >> "$WANT"
    done
}

# judge KEYSTORE TYPE STOREPASS ALIAS: Java opens every queued value.
judge() {
    java_judge "$@" < "$REQ" > "$TMP/got" 2> "$TMP/java.err" || fail "Java: $(cat "$TMP/java.err")"
    [ "$(wc -l < "$REQ")" -gt 0 ] || fail "nothing queued"
    cmp -s "$TMP/got" "$WANT" || fail "Java read other bytes: $(diff "$TMP/got" "$WANT" | head -5)"
    passed=$((passed + $(wc -l < "$REQ")))
    : > "$REQ"; : > "$WANT"
}

# RSA forms: cipher-tool's --transformation, Java's name for Cipher.getInstance,
# the holder's "t", and the longest plaintext for a 2048-bit key.
rsa_cases() {
    local ks=$1 pw=$2 extra=$3 t jt ht max
    while read -r t jt ht max; do
        local -a targ=()
        [ "$t" = default ] || targ=(--transformation "$t")
        queue raw "$jt" "$ks" "$pw" --format wso2 "${targ[@]}" -- admin "$UTF8" "$(xs 190)" "$(xs $((max + extra)))"
        queue holder "$ht" "$ks" "$pw" --format wso2-holder "${targ[@]}" -- admin "$UTF8" "$(xs $((max + extra)))"
    done <<'EOF'
RSA RSA RSA 245
RSA/ECB/PKCS1Padding RSA/ECB/PKCS1Padding RSA 245
RSA/ECB/OAEPwithSHA1andMGF1Padding RSA/ECB/OAEPwithSHA1andMGF1Padding RSA/ECB/OAEPwithSHA1andMGF1Padding 214
RSA/ECB/OAEPWithSHA-256AndMGF1Padding RSA/ECB/OAEPWithSHA-256AndMGF1Padding RSA/ECB/OAEPWithSHA-256AndMGF1Padding 190
default RSA/ECB/OAEPwithSHA1andMGF1Padding RSA/ECB/OAEPwithSHA1andMGF1Padding 214
EOF
}

# Java's identity keystore (2048-bit), read by Java as JKS and as PKCS#12.
rsa_cases "$J/identity.p12" "$PW" 0
cp "$REQ" "$TMP/requests.again"; cp "$WANT" "$TMP/want.again"
judge "$J/identity.jks" JKS wso2carbon wso2carbon
cp "$TMP/requests.again" "$REQ"; cp "$TMP/want.again" "$WANT"
judge "$J/identity.p12" PKCS12 wso2carbon wso2carbon
# 214 bytes is the OAEP-SHA1 limit for 2048 bits: one more is refused.
run_in 0 "$(xs 214)" "$CT" encrypt -k "$J/identity.jks" --password-file "$PW" --format wso2
run_in 1 "$(xs 215)" "$CT" encrypt -k "$J/identity.jks" --password-file "$PW" --format wso2
equals "$out" ""
equals "$err" "cipher-tool: error: value of 215 bytes is too long for one 2048-bit RSA block (at most 214 bytes with this padding); use the native format, which has no length limit"

# A fresh 3072-bit keystore from keytool: 128 bytes more room per block.
rsa_cases "$TMP/fresh.p12" "$FRESH_PW" 128
judge "$TMP/fresh.p12" PKCS12 changeit fresh

# AES-GCM JSON with internal.p12's key and with a fresh JCEKS key.
queue gcm-json AES/GCM/NoPadding "$J/internal.p12" "$PW" --format wso2-symmetric -- admin "$UTF8" "$(xs 214)" "$(xs 5000)"
judge "$J/internal.p12" PKCS12 wso2carbon wso2carbon
queue gcm-json AES/GCM/NoPadding "$TMP/aes.jceks" "$FRESH_PW" --format wso2-symmetric -- admin "$UTF8"
judge "$TMP/aes.jceks" JCEKS changeit aes

# The other way: Java seals with the fresh keys, cipher-tool opens.
: > "$REQ"
for jt in RSA RSA/ECB/OAEPwithSHA1andMGF1Padding RSA/ECB/OAEPWithSHA-256AndMGF1Padding; do
    printf 'encrypt raw %s %s\n' "$jt" "$(printf '%s' "$UTF8" | hex)" >> "$REQ"
done
java_judge "$TMP/fresh.p12" PKCS12 changeit fresh < "$REQ" > "$TMP/sealed" || fail "Java encrypt"
i=0
while read -r value; do
    i=$((i + 1))
    printf '%s' "$value" | "$CT" decrypt -k "$TMP/fresh.p12" --password-file "$FRESH_PW" > "$TMP/pt" 2> "$TMP/err" \
        || fail "cipher-tool decrypt of Java's value $i: $(cat "$TMP/err")"
    equals "$(hex < "$TMP/pt")" "$(printf '%s' "$UTF8" | hex)"
    if [ "$i" = 1 ]; then contains "$(cat "$TMP/err")" "legacy padding"; else equals "$(cat "$TMP/err")" ""; fi
done < "$TMP/sealed"
equals "$i" 3
printf 'encrypt gcm-json AES/GCM/NoPadding %s\n' "$(printf '%s' "$UTF8" | hex)" > "$REQ"
value=$(java_judge "$TMP/aes.jceks" JCEKS changeit aes < "$REQ") || fail "Java encrypt gcm"
printf '%s' "$value" | "$CT" decrypt -k "$TMP/aes.jceks" --password-file "$FRESH_PW" > "$TMP/pt"
equals "$(hex < "$TMP/pt")" "$(printf '%s' "$UTF8" | hex)"

done_tests
