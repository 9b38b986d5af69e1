#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Exit statuses: when any value fails in seal, change, rotate or recipients the
# command exits 1, names every failing alias and leaves the file byte for byte
# as it was; a missing password file and a broken carbon.xml are named; error
# text never echoes a secret.
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
PW=$(pwfile wso2carbon)
KS=(-k "$J/identity.p12" --password-file "$PW")

# unchanged FILE COPY: the file is byte-identical to its copy.
unchanged() { cmp -s "$1" "$2" || fail "$1 was changed"; ok; }

long=$(head -c 300 /dev/zero | tr '\0' L)
longer=$(head -c 400 /dev/zero | tr '\0' M)

# seal: a good value first, then two too long for one RSA block (wso2 format).
printf '[secrets]\ngood = "[fine]"\ntoo_long = "[%s]"\nalso_long = "[%s]"\n' "$long" "$longer" > "$TMP/s.toml"
cp "$TMP/s.toml" "$TMP/s.before"
run 1 "$CT" seal "$TMP/s.toml" --cert "$J/identity.pem" --format wso2
contains "$err" "alias \"too_long\""
contains "$err" "alias \"also_long\""
contains "$err" "2 values could not be sealed; the file was not changed"
unchanged "$TMP/s.toml" "$TMP/s.before"
lacks "$err$out" "LLLLLLLL"
# The same in a properties file, and with several files: the good one is sealed, status 1.
printf 'good=[fine]\ntoo_long=[%s]\n' "$long" > "$TMP/s.properties"
cp "$TMP/s.properties" "$TMP/p.before"
printf '[secrets]\nonly = "[fine]"\n' > "$TMP/ok.toml"
run 1 "$CT" seal "$TMP/s.properties" "$TMP/ok.toml" --cert "$J/identity.pem" --format wso2
contains "$err" "s.properties: alias \"too_long\""
unchanged "$TMP/s.properties" "$TMP/p.before"
contains "$err" "ok.toml: sealed 1 secret"
# Java's RSA/ECB/OAEPWithSHA1AndMGF1Padding (the wso2 default here) takes at most
# k - 42 bytes: openssl, independently, refuses 300 bytes for this key too.
openssl x509 -in "$J/identity.pem" -pubkey -noout > "$TMP/pub.pem"
set +e
printf '%s' "$long" | openssl pkeyutl -encrypt -pubin -inkey "$TMP/pub.pem" \
    -pkeyopt rsa_padding_mode:oaep >/dev/null 2>&1
st=$?
set -e
[ "$st" != 0 ] || fail "openssl sealed 300 bytes in one RSA-OAEP block"
ok

# An empty "[]" or "" value without a terminal: refused, file unchanged.
printf '[secrets]\ngood = "[fine]"\nempty = "[]"\n' > "$TMP/e.toml"
cp "$TMP/e.toml" "$TMP/e.before"
run 1 "$CT" seal "$TMP/e.toml" --cert "$J/identity.pem"
contains "$err" "alias \"empty\""
unchanged "$TMP/e.toml" "$TMP/e.before"

# change: the new value fails to seal; an unknown alias; empty standard input.
printf '[secrets]\na = "[one]"\nb = "[two]"\n' > "$TMP/c.toml"
run 0 "$CT" seal "$TMP/c.toml" "${KS[@]}"
cp "$TMP/c.toml" "$TMP/c.before"
run_in 1 "$long" "$CT" change "$TMP/c.toml" a --cert "$J/identity.pem" --format wso2
contains "$err" "alias \"a\""
unchanged "$TMP/c.toml" "$TMP/c.before"
run_in 1 "x" "$CT" change "$TMP/c.toml" no_such "${KS[@]}"
contains "$err" "no alias \"no_such\""
unchanged "$TMP/c.toml" "$TMP/c.before"
run_in 1 "" "$CT" change "$TMP/c.toml" a "${KS[@]}"
contains "$err" "empty"
unchanged "$TMP/c.toml" "$TMP/c.before"
run_in 1 $'\n' "$CT" change "$TMP/c.toml" a "${KS[@]}"
unchanged "$TMP/c.toml" "$TMP/c.before"
# A good change still works, and decrypts to what was given (the key judges it).
run_in 0 "n3w" "$CT" change "$TMP/c.toml" a "${KS[@]}"
val=$(sed -n 's/^a = "\(.*\)"$/\1/p' "$TMP/c.toml")
equals "$(printf '%s' "$val" | "$CT" decrypt "${KS[@]}" -n a)" "n3w"
cp "$TMP/c.toml" "$TMP/c.before"

# rotate: one value tampered with; the other would rotate, but nothing is written.
# (Its 61st character becomes B when it is an A, else A: always another one.)
sed -i -E 's/^(b = "vault:v1:[A-Za-z0-9_-]{60})A/\1B/; t; s/^(b = "vault:v1:[A-Za-z0-9_-]{60})[A-Za-z0-9_-]/\1A/' \
    "$TMP/c.toml"
cmp -s "$TMP/c.toml" "$TMP/c.before" && fail "the tampering changed nothing"
cp "$TMP/c.toml" "$TMP/t.before"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/k2.key" -out "$TMP/k2.pem" -subj /CN=next \
    -days 30 2>/dev/null
run 1 "$CT" rotate "$TMP/c.toml" --from-keystore "$J/identity.p12" --from-password-file "$PW" \
    --cert "$TMP/k2.pem"
contains "$err" "alias \"b\""
lacks "$err" "alias \"a\":"
unchanged "$TMP/c.toml" "$TMP/t.before"

# recipients add: the tampered value fails to open; nothing is written.
run 1 "$CT" recipients add "$TMP/c.toml" "${KS[@]}" --cert "$TMP/k2.pem"
contains "$err" "alias \"b\""
unchanged "$TMP/c.toml" "$TMP/t.before"
# ... and remove.
id1=$(openssl x509 -in "$J/identity.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)
run 1 "$CT" recipients remove "$TMP/c.toml" "${KS[@]}" --key-id "$id1"
unchanged "$TMP/c.toml" "$TMP/t.before"

# A missing password file is named, for a keystore and for a vault.
run_in 1 "x" "$CT" encrypt -k "$J/identity.p12" --password-file "$TMP/no-such-pw"
contains "$err" "$TMP/no-such-pw"
lacks "$err" "a store password is required"
run 1 "$CT" seal "$TMP/ok.toml" -k "$J/identity.p12" --password-file "$TMP/no-such-pw"
contains "$err" "$TMP/no-such-pw"
printf '[secrets]\nx = "[y]"\n' > "$TMP/r.toml"
run 0 "$CT" seal "$TMP/r.toml" --cert "$J/identity.pem"
run 1 "$CT" exec -c "$TMP/r.toml" -k "$J/identity.p12" --password-file "$TMP/no-such-pw" -e X=x -- true
contains "$err" "$TMP/no-such-pw"
# No password at all and no terminal (setsid: none even when the
# tests run from one): the keystore is named, with a hint.
run_in 1 "x" setsid -w "$CT" encrypt -k "$J/identity.p12"
contains "$err" "$J/identity.p12"
contains "$err" "hint: there is no terminal"
# ... and a test script started from a terminal (script(1) makes one) has none
# either: lib.sh detaches it, so a prompt fails at once instead of waiting.
if command -v script >/dev/null; then
    printf 'source %q\n(exec 9</dev/tty) 2>/dev/null && echo attached || echo detached\n' \
        "$(cd "$(dirname "$0")" && pwd)/lib.sh" > "$TMP/tty.sh"
    equals "$(script -qec "bash -c '(exec 9</dev/tty) && echo has-tty'" /dev/null </dev/null | tr -d '\r')" has-tty
    equals "$(env -u VAULT_TEST_DETACHED script -qec "bash $TMP/tty.sh" /dev/null </dev/null | tr -d '\r')" detached
fi

# A product home whose carbon.xml is broken: its real message, line of the fault
# as python's XML parser (the independent side) finds it.
cp -r "$SH/fixtures/wso2-home" "$TMP/home"
rm "$TMP/home/repository/conf/deployment.toml"
sed -i 's|</Security>|<Broken></Security>|' "$TMP/home/repository/conf/carbon.xml"
pyline=$(python3 -c '
import sys, xml.etree.ElementTree as E
try:
    E.parse(sys.argv[1])
except E.ParseError as e:
    print(e.position[0])' "$TMP/home/repository/conf/carbon.xml")
[ -n "$pyline" ] || fail "python parses the broken carbon.xml"
run 1 "$CT" exec -c "$TMP/home" "${KS[@]}" -e X=Carbon.Security.KeyStore.Password -- true
contains "$err" "repository/conf/carbon.xml:$pyline:"
contains "$err" "malformed XML"
lacks "$err" "error: error"

# Error text never echoes a secret: a value without its key in TOML and properties.
printf '[secrets]\nok = "[fine]"\n"[LEAKMEsecret1]"\n' > "$TMP/l.toml"
printf 'ok=[fine]\n[LEAKMEsecret2]\n' > "$TMP/l.properties"
for f in "$TMP/l.toml" "$TMP/l.properties"; do
    cp "$f" "$TMP/l.before"
    run 1 "$CT" seal "$f" --cert "$J/identity.pem"
    lacks "$err$out" "LEAKME"
    unchanged "$f" "$TMP/l.before"
    run 1 "$CT" check "$f"
    lacks "$err$out" "LEAKME"
    run 1 "$CT" list "$f"
    lacks "$err$out" "LEAKME"
done
# ... and a plain password in a legacy XML file that libxml2 cannot parse.
for bad in '&LEAKMEsecret3;' '<LEAKMEsecret3'; do
    rm -rf "$TMP/home"
    cp -r "$SH/fixtures/wso2-home" "$TMP/home"
    rm "$TMP/home/repository/conf/deployment.toml"
    sed -i "s|<Password>[^<]*</Password>|<Password>LEAKMEsecret3$bad</Password>|" \
        "$TMP/home/repository/conf/user-mgt.xml"
    grep -q LEAKMEsecret3 "$TMP/home/repository/conf/user-mgt.xml" || fail "no password planted"
    cp "$TMP/home/repository/conf/user-mgt.xml" "$TMP/x.before"
    run 1 env CARBON_HOME="$TMP/home" "$CT" -Dconfigure --password-file "$PW"
    contains "$err" "user-mgt.xml:"
    lacks "$err$out" "LEAKME"
    unchanged "$TMP/home/repository/conf/user-mgt.xml" "$TMP/x.before"
done

done_tests
