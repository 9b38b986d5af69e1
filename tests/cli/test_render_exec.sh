#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cipher-tool render and exec on a deployment.toml whose values Java 17 JCE
# sealed (fixtures/java/vectors.tsv): the secrets go only where asked.
source "$(dirname "$0")/lib.sh"
# Descriptors a caller (a CI runner, a terminal multiplexer) may leak into
# this script would look like ones exec passed on: close them.
for fd in 3 4 5 6 7 8 9; do eval "exec $fd>&-"; done
J=$SH/fixtures/java
PW=$(pwfile wso2carbon)

# value and plaintext of a Java-made row
vec_value() { awk -F'\t' -v id="$1" '$1 == id {print $5}' "$J/vectors.tsv"; }
vec_plain() { awk -F'\t' -v id="$1" '$1 == id {print $4}' "$J/vectors.tsv" | base64 -d; }

DB_ROW=28   # p@ss w0rd=with"quotes'&<xml>   (raw OAEP-SHA1)
API_ROW=35  # the 64-character value           (holder OAEP-SHA1)
ADM_ROW=42  # non-ASCII                        (raw OAEP-SHA256)
DB=$(vec_plain $DB_ROW); API=$(vec_plain $API_ROW); ADM=$(vec_plain $ADM_ROW)

mkdir "$TMP/conf"
CONF=$TMP/conf/deployment.toml
cat > "$CONF" <<EOF
[keystore.primary]
file_name = "$J/identity.jks"
alias = "wso2carbon"

[secrets]
db_password = "$(vec_value $DB_ROW)"
api_key = '$(vec_value $API_ROW)'
"admin.password" = "$(vec_value $ADM_ROW)"

[database]
password = "\$secret{db_password}"
EOF

# ---- render -------------------------------------------------------------
printf 'user=app\npassword=$secret{db_password}\nkey=$secret{api_key} $secret{admin.password}\n' > "$TMP/app.conf.in"
want=$(printf 'user=app\npassword=%s\nkey=%s %s' "$DB" "$API" "$ADM")
run 0 "$CT" render "$TMP/app.conf.in" --config "$CONF" --password-file "$PW"
equals "$out" "$want"
equals "$err" ""

run 0 "$CT" render "$TMP/app.conf.in" -o "$TMP/app.conf" -c "$CONF" --password-file "$PW"
equals "$(stat -c %a "$TMP/app.conf")" "600"
equals "$(cat "$TMP/app.conf")" "$want"
equals "$out" ""
# Rendering again replaces the 0600 file atomically.
run 0 "$CT" render "$TMP/app.conf.in" -o "$TMP/app.conf" -c "$CONF" --password-file "$PW"
equals "$(stat -c %a "$TMP/app.conf")" "600"

# An output others can read, or a link, is refused and left alone.
printf 'old\n' > "$TMP/open.conf"; chmod 644 "$TMP/open.conf"
run 1 "$CT" render "$TMP/app.conf.in" -o "$TMP/open.conf" -c "$CONF" --password-file "$PW"
contains "$err" "0644"
equals "$(cat "$TMP/open.conf")" "old"
ln -s "$TMP/elsewhere" "$TMP/link.conf"
run 1 "$CT" render "$TMP/app.conf.in" -o "$TMP/link.conf" -c "$CONF" --password-file "$PW"
contains "$err" "symbolic link"
[ ! -e "$TMP/elsewhere" ] || fail "written through a link"; ok

# An unknown alias: an error naming it, nothing written.
printf 'a=$secret{db_password}\nb=$secret{no.such}\n' > "$TMP/bad.in"
run 1 "$CT" render "$TMP/bad.in" -o "$TMP/bad.out" -c "$CONF" --password-file "$PW"
contains "$err" "cipher-tool: error: no alias \"no.such\""
[ ! -e "$TMP/bad.out" ] || fail "bad.out written"; ok
lacks "$err" "$DB"

# A whole secretAlias: value, and the config's own file as a template.
printf 'secretAlias:api_key' > "$TMP/whole.in"
run 0 "$CT" render "$TMP/whole.in" -c "$CONF" --password-file "$PW"
equals "$out" "$API"

# XML marked with svns:secretAlias: the secret XML-escaped in the element.
cat > "$TMP/ds.xml" <<'EOF'
<datasources xmlns:svns="http://org.wso2.securevault/configuration">
    <password svns:secretAlias="db_password">password</password>
    <user>app</user>
</datasources>
EOF
run 0 "$CT" render "$TMP/ds.xml" -c "$CONF" --password-file "$PW"
contains "$out" "<password svns:secretAlias=\"db_password\">p@ss w0rd=with"
contains "$out" "&amp;&lt;xml&gt;</password>"
contains "$out" "<user>app</user>"
# --text: the same file as plain text, no mark resolved.
run 0 "$CT" render "$TMP/ds.xml" --text -c "$CONF" --password-file "$PW"
equals "$out" "$(cat "$TMP/ds.xml")"
# libxml2 is loaded when XML is first read: a library without its symbols
# (an impostor first on the loader's path) fails the XML file clearly, while
# text needs no libxml2 at all.
# The soname is the one the build read off the libxml2 it compiled against.
xml_soname=$(sed -n 's/^VAULT_LIBXML2_SONAME:INTERNAL=//p' "${VAULT_BUILD:?}/CMakeCache.txt")
[ -n "$xml_soname" ] || fail "no VAULT_LIBXML2_SONAME in the build's cache"
equals "$xml_soname" "$(objdump -p "$(ldconfig -p | awk '/libxml2\.so / {print $NF; exit}')" | awk '/SONAME/ {print $2}')"
if command -v cc >/dev/null; then
    mkdir -p "$TMP/fakexml"
    echo 'int not_libxml2;' >"$TMP/fakexml/x.c"
    cc -shared -fPIC -o "$TMP/fakexml/$xml_soname" "$TMP/fakexml/x.c"
    run 1 env LD_LIBRARY_PATH="$TMP/fakexml" "$CT" render "$TMP/ds.xml" -c "$CONF" --password-file "$PW"
    contains "$err" "XML support needs libxml2 ($xml_soname), which cannot be loaded: no symbol xml"
    lacks "$err" "p@ss"
    run 0 env LD_LIBRARY_PATH="$TMP/fakexml" "$CT" render "$TMP/ds.xml" --text -c "$CONF" --password-file "$PW"
    equals "$out" "$(cat "$TMP/ds.xml")"
fi

# Passwords: none given and no terminal; a password file others can read.
run 1 "$CT" render "$TMP/app.conf.in" -c "$CONF"
contains "$err" "no password source"
contains "$err" "hint:"
chmod 644 "$PW"
run 1 "$CT" render "$TMP/app.conf.in" -c "$CONF" --password-file "$PW"
contains "$err" "0644"
chmod 600 "$PW"
run 2 "$CT" render "$TMP/app.conf.in"
contains "$err" "--config"
run 0 "$CT" render --help
contains "$out" "usage: cipher-tool render"

# ---- exec ---------------------------------------------------------------
# The child shows its environment, its arguments and what descriptor 3 holds.
cat > "$TMP/probe.sh" <<'EOF'
#!/bin/sh
echo "ARGV: $0 $*"
tr '\0' ' ' < /proc/$$/cmdline; echo
env
if [ -e /proc/$$/fd/3 ]; then printf 'FD3:'; cat <&3; echo; fi
if [ "${1:-}" = stdin ]; then printf 'STDIN:'; cat; echo; fi
EOF
chmod 755 "$TMP/probe.sh"

run 0 "$CT" exec -c "$CONF" --password-file "$PW" --env DB_PASSWORD=db_password -- "$TMP/probe.sh" one two
contains "$out" "DB_PASSWORD=$DB"
contains "$out" "ARGV: $TMP/probe.sh one two"
lacks "$out" "$API"
lacks "$out" "$ADM"
lacks "$out" "FD3:"
lacks "$err" "$DB"
# no secret on any command line: the child's own /proc/PID/cmdline
line=$(printf '%s\n' "$out" | sed -n 2p)
lacks "$line" "$DB"

run 0 "$CT" exec -c "$CONF" --password-file "$PW" --fd 3=api_key -- "$TMP/probe.sh"
contains "$out" "FD3:$API"
lacks "$out" "=$API"
lacks "$out" "$DB"
lacks "$out" "$ADM"
# exactly the secret's bytes on the descriptor, no newline added
run 0 "$CT" exec -c "$CONF" --password-file "$PW" --fd 3=admin.password -- sh -c 'cat <&3 > "$0"' "$TMP/fd3"
equals "$(od -An -tx1 < "$TMP/fd3")" "$(printf '%s' "$ADM" | od -An -tx1)"

# both at once, and a secret on standard input
run 0 "$CT" exec -c "$CONF" --password-file "$PW" -e A=admin.password --fd 0=db_password -- "$TMP/probe.sh" stdin
contains "$out" "A=$ADM"
contains "$out" "STDIN:$DB"
lacks "$out" "$API"

# the keystore password is not passed on: neither its variable nor its descriptor
KS_PASSWORD=wso2carbon run 0 "$CT" exec -c "$CONF" --password-env KS_PASSWORD -e X=api_key -- "$TMP/probe.sh"
contains "$out" "X=$API"
lacks "$out" "KS_PASSWORD"
run 0 "$CT" exec -c "$CONF" --password-fd 3 -e X=api_key -- "$TMP/probe.sh" 3<"$PW"
lacks "$out" "FD3:"
lacks "$out" "wso2carbon"

# the child's exit status is the command's
run 3 "$CT" exec -c "$CONF" --password-file "$PW" -e X=api_key -- sh -c 'exit 3'

# unknown alias: nothing runs
run 1 "$CT" exec -c "$CONF" --password-file "$PW" -e X=nope -- sh -c "touch '$TMP/ran'"
contains "$err" "\"nope\""
[ ! -e "$TMP/ran" ] || fail "the command ran"; ok
# as env(1): 127 for a program that is not there, 126 for one that cannot run
run 127 "$CT" exec -c "$CONF" --password-file "$PW" -e X=api_key -- "$TMP/no-such-program"
contains "$err" "cannot run"
printf '#!/bin/sh\necho ran\n' > "$TMP/not-executable"; chmod 644 "$TMP/not-executable"
run 126 "$CT" exec -c "$CONF" --password-file "$PW" -e X=api_key -- "$TMP/not-executable"
contains "$err" "Permission denied"
lacks "$out" "ran"
run 2 "$CT" exec -c "$CONF" --password-file "$PW" -e X=api_key
contains "$err" "COMMAND missing"
run 2 "$CT" exec -c "$CONF" -e 1X=api_key -- true
run 2 "$CT" exec -c "$CONF" --fd x=api_key -- true
run 0 "$CT" exec --help
contains "$out" "usage: cipher-tool exec"

# A tampered value: exec refuses before running anything, naming the alias.
# db_password is a raw WSO2 value: where PKCS#1 v1.5 is allowed, damage opens
# it to other bytes (implicit rejection, SECURITY.md); --no-pkcs1 refuses.
sed "s|^db_password = \"\(.\{40\}\)A|db_password = \"\1B|; t; s|^db_password = \"\(.\{40\}\).|db_password = \"\1A|" "$CONF" > "$TMP/conf/tampered.toml"
cmp -s "$CONF" "$TMP/conf/tampered.toml" && fail "tamper did not change the file"
run 1 "$CT" exec -c "$TMP/conf/tampered.toml" --password-file "$PW" --no-pkcs1 -e X=api_key -- sh -c "touch '$TMP/ran'"
contains "$err" "\"db_password\""
[ ! -e "$TMP/ran" ] || fail "the command ran"; ok

done_tests
