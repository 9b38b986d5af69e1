#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A WSO2 legacy home (cipher-text.properties, secret-conf.properties) whose
# secret-conf.properties says secretRepositories=etcd: publish from its
# cipher-text.properties, the runtime (render, exec) resolves from etcd,
# check and list read etcd, the cache carries an outage; against a real
# etcd 3.4 member on loopback, etcdctl reading what etcd holds.
source "$(dirname "$0")/lib.sh"
for tool in etcd etcdctl openssl python3; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/deps.sh installs it)"
done

source "$(dirname "$0")/etcd_member.sh"
start_etcd "$TMP/etcd"

# ---- a legacy home: cipher-text.properties, secret-conf.properties, a keystore ---
H=$TMP/home
SEC=$H/repository/conf/security
mkdir -p "$SEC" "$H/repository/resources/security"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/k.key" -out "$TMP/k.crt" -subj "/CN=wso2carbon" \
    -days 2 2>/dev/null
openssl pkcs12 -export -inkey "$TMP/k.key" -in "$TMP/k.crt" -name wso2carbon \
    -out "$H/repository/resources/security/wso2carbon.p12" -passout pass:pw-k
PW=$(pwfile pw-k)
CT_PROPS=$SEC/cipher-text.properties
: >"$TMP/expect.tsv"
for i in 1 2 3; do
    v="legacy-$i-$RANDOM$RANDOM"
    printf 'Datasources.DB%d.Password=[%s]\n' "$i" "$v" >>"$CT_PROPS"
    printf 'Datasources.DB%d.Password\t%s\n' "$i" "$v" >>"$TMP/expect.tsv"
done
run 0 "$CT" seal "$CT_PROPS" --cert "$TMP/k.crt"
cp "$CT_PROPS" "$TMP/published.properties"
PREFIX=/vault/legacy/
secret_conf() { # REPOSITORIES [EXTRA LINES]
    {
        printf 'secVault.enabled=true\nsecretRepositories=%s\n' "$1"
        printf 'secretRepositories.file.provider=org.wso2.securevault.secret.repository.FileBaseSecretRepositoryProvider\n'
        printf 'secretRepositories.file.location=repository/conf/security/cipher-text.properties\n'
        printf 'secretRepositories.etcd.endpoints=%s\nsecretRepositories.etcd.prefix=%s\n' "$EP" "$PREFIX"
        printf 'keystore.identity.location=repository/resources/security/wso2carbon.p12\n'
        printf 'keystore.identity.type=PKCS12\nkeystore.identity.alias=wso2carbon\n'
        [ -z "${2:-}" ] || printf '%s\n' "$2"
    } >"$SEC/secret-conf.properties"
}
secret_conf etcd "secretRepositories.etcd.cache=$TMP/legacy.cache"

# ---- publish from the legacy home's cipher-text.properties ------------------------
run 0 "$CT" publish "$CT_PROPS" --etcd "$EP" --prefix "$PREFIX"
equals "$(ectl get --prefix "$PREFIX" --keys-only | grep -c .)" "3"
equals "$(ectl get "${PREFIX}Datasources.DB2.Password" --print-value-only)" \
    "$(sed -n 's/^Datasources.DB2.Password=//p' "$CT_PROPS")"
ectl get "" --prefix >"$TMP/dump"
while IFS=$'\t' read -r alias plain; do
    ! grep -qF "$plain" "$TMP/dump" || fail "plaintext of $alias in etcd"
done <"$TMP/expect.tsv"
ok
# a plain value in cipher-text.properties: nothing published
printf 'Extra.Password=[plain]\n' >"$TMP/plain.properties"
run 1 "$CT" publish "$TMP/plain.properties" --etcd "$EP" --prefix "$PREFIX"
contains "$err" '"Extra.Password"'
equals "$(ectl get --prefix "$PREFIX" --keys-only | grep -c .)" "3"

# ---- the values come from etcd, not from the file ----------------------------------
# etcd gets a new DB1 value; the file keeps the old one
printf 'Datasources.DB1.Password=[from-etcd-1]\n' >"$TMP/db1.properties"
run 0 "$CT" seal "$TMP/db1.properties" --cert "$TMP/k.crt"
run 0 "$CT" publish "$TMP/db1.properties" --etcd "$EP" --prefix "$PREFIX"
sed -i 's/^Datasources.DB1.Password\t.*/Datasources.DB1.Password\tfrom-etcd-1/' "$TMP/expect.tsv"
cut -f1 "$TMP/expect.tsv" | sed 's/.*/&=$secret{&}/' >"$TMP/app.in"
sed 's/\t/=/' "$TMP/expect.tsv" >"$TMP/app.want"
run 0 "$CT" render "$TMP/app.in" -c "$H" --password-file "$PW"
equals "$out" "$(cat "$TMP/app.want")"
equals "$err" ""
run 0 "$CT" render "$TMP/app.in" -c "$CT_PROPS" --password-file "$PW"
equals "$out" "$(cat "$TMP/app.want")"
# the cache holds the revision and sealed values only
equals "$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c["prefix"], len(c["values"]))' "$TMP/legacy.cache")" \
    "$PREFIX 3"
# secretRepositories=file: the file governs again, with the WSO2 runtime's
# rule for it (one RSA algorithm), which refuses its native values by line
secret_conf file
run 1 "$CT" render "$TMP/app.in" -c "$H" --password-file "$PW"
contains "$err" '"Datasources.DB1.Password" (line 1): the WSO2 runtime of this home opens every value with'
equals "$out" ""
secret_conf "file,etcd" "secretRepositories.etcd.cache=$TMP/legacy.cache"

# ---- check and list read etcd --------------------------------------------------------
run 0 "$CT" list "$CT_PROPS" --json
equals "$(printf '%s' "$out" | python3 -c 'import json,sys; s=json.load(sys.stdin)["files"][0]["secrets"]; print(len(s), sorted(set(e["state"] for e in s)))')" \
    "3 ['sealed']"
run 0 "$CT" check "$CT_PROPS" -k "$H/repository/resources/security/wso2carbon.p12" --password-file "$PW"
# a value moved to another alias inside etcd: check names it, the runtime refuses
ectl put "${PREFIX}Datasources.DB3.Password" "$(ectl get "${PREFIX}Datasources.DB1.Password" --print-value-only)" >/dev/null
run 1 "$CT" check "$CT_PROPS" -k "$H/repository/resources/security/wso2carbon.p12" --password-file "$PW"
contains "$err" '"Datasources.DB3.Password": does not open'
run 1 "$CT" render "$TMP/app.in" -c "$H" --password-file "$PW"
contains "$err" '"Datasources.DB3.Password"'
equals "$out" ""
ectl put "${PREFIX}Datasources.DB3.Password" "$(sed -n 's/^Datasources.DB3.Password=//p' "$TMP/published.properties")" >/dev/null
run 0 "$CT" check "$CT_PROPS" -k "$H/repository/resources/security/wso2carbon.p12" --password-file "$PW"

# ---- rotate and recipients on the legacy home rewrite etcd, not the file --------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/n.key" -out "$TMP/n.crt" -subj "/CN=new" -days 2 2>/dev/null
cp "$CT_PROPS" "$TMP/file.before"
run 0 "$CT" rotate "$CT_PROPS" --from-keystore "$H/repository/resources/security/wso2carbon.p12" \
    --from-password-file "$PW" --cert "$TMP/k.crt" --cert "$TMP/n.crt"
contains "$err" "rotated 3 secrets"
contains "$err" "etcd $PREFIX"
cmp -s "$CT_PROPS" "$TMP/file.before" || fail "rotate changed the local cipher-text.properties"
ok
mods=$(ectl get "$PREFIX" --prefix -w json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len({k["mod_revision"] for k in d["kvs"]}), d["kvs"][0]["mod_revision"] == d["header"]["revision"])')
equals "$mods" "1 True"
run 0 "$CT" recipients remove "$CT_PROPS" -k "$H/repository/resources/security/wso2carbon.p12" \
    --password-file "$PW" --cert "$TMP/n.crt"
contains "$err" "in etcd $PREFIX"
cmp -s "$CT_PROPS" "$TMP/file.before" || fail "recipients changed the local cipher-text.properties"
ok
run 0 "$CT" render "$TMP/app.in" -c "$H" --password-file "$PW"
equals "$out" "$(cat "$TMP/app.want")"

# ---- render --watch on the legacy home --------------------------------------------
printf 'db=$secret{Datasources.DB2.Password}\n' >"$TMP/live.in"
"$CT" render "$TMP/live.in" --watch -o "$TMP/live.conf" -c "$H" --password-file "$PW" 2>"$TMP/render.err" &
BG=$!
for t in $(seq 1 100); do [ -s "$TMP/live.conf" ] && break; sleep 0.1; done
equals "$(cat "$TMP/live.conf")" "db=$(grep -P '^Datasources.DB2.Password\t' "$TMP/expect.tsv" | cut -f2)"
printf 'Datasources.DB2.Password=[watched-2]\n' >"$TMP/db2.properties"
run 0 "$CT" seal "$TMP/db2.properties" --cert "$TMP/k.crt"
run 0 "$CT" publish "$TMP/db2.properties" --etcd "$EP" --prefix "$PREFIX"
for t in $(seq 1 40); do [ "$(cat "$TMP/live.conf")" = "db=watched-2" ] && break; sleep 0.05; done
equals "$(cat "$TMP/live.conf")" "db=watched-2"
kill -TERM "$BG"
set +e; wait "$BG"; st=$?; set -e
BG=0
equals "$st" "0"
sed -i 's/^Datasources.DB2.Password\t.*/Datasources.DB2.Password\twatched-2/' "$TMP/expect.tsv"
sed 's/\t/=/' "$TMP/expect.tsv" >"$TMP/app.want"

# ---- etcd down: the cache carries the start-up, and says so --------------------------
run 0 "$CT" render "$TMP/app.in" -c "$H" --password-file "$PW"
stop_etcd
run 0 "$CT" render "$TMP/app.in" -c "$H" --password-file "$PW"
equals "$out" "$(cat "$TMP/app.want")"
contains "$err" "last-known-good cache"
# without a cache: fail closed, naming the endpoint and secret-conf.properties
secret_conf etcd
run 1 "$CT" render "$TMP/app.in" -c "$H" --password-file "$PW"
contains "$err" "$EP"
contains "$err" "secret-conf.properties"
equals "$out" ""
# timeout_ms: a member that accepts and never answers is given up on in time
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)' >"$TMP/silent.port" &
BG=$!
for t in $(seq 1 50); do [ -s "$TMP/silent.port" ] && break; sleep 0.1; done
SILENT=http://127.0.0.1:$(cat "$TMP/silent.port")
sed -i "s|^secretRepositories.etcd.endpoints=.*|secretRepositories.etcd.endpoints=$SILENT|" "$SEC/secret-conf.properties"
printf 'secretRepositories.etcd.timeout_ms=300\n' >>"$SEC/secret-conf.properties"
t0=$EPOCHREALTIME
run 1 "$CT" render "$TMP/app.in" -c "$H" --password-file "$PW"
python3 -c "import sys; sys.exit(0 if float(sys.argv[2]) - float(sys.argv[1]) < 1.5 else 1)" "$t0" "$EPOCHREALTIME" \
    || fail "timeout_ms=300 was not applied"
ok
contains "$err" "$SILENT"
contains "$err" "timed out"
kill "$BG"; wait "$BG" 2>/dev/null || true; BG=0
sed -i 's/^secretRepositories.etcd.timeout_ms=.*/secretRepositories.etcd.timeout_ms=soon/' "$SEC/secret-conf.properties"
run 1 "$CT" render "$TMP/app.in" -c "$H" --password-file "$PW"
contains "$err" 'timeout_ms "soon" is not 1 to 600000'
sed -i '/^secretRepositories.etcd.timeout_ms=/d' "$SEC/secret-conf.properties"
# an incomplete repository is named as such
sed -i '/^secretRepositories.etcd.prefix=/d' "$SEC/secret-conf.properties"
run 1 "$CT" render "$TMP/app.in" -c "$H" --password-file "$PW"
contains "$err" "secret-conf.properties: secretRepositories=etcd needs endpoints and prefix"

done_tests
