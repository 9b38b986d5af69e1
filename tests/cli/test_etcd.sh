#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The etcd secret repository against a real three-member etcd 3.4 cluster on
# loopback: publish, resolve by two servers (cipher-tool render and the
# libvault API), member loss, loss of quorum with and without the cache,
# recovery; etcdctl is the independent reader of what etcd holds.
source "$(dirname "$0")/lib.sh"
for tool in etcd etcdctl openssl python3; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/deps.sh installs it)"
done
API_TEST=$(dirname "$CT")/../tests/api_test_etcd
[ -x "$API_TEST" ] || fail "no $API_TEST: build the tests first"

# ---- the cluster ---------------------------------------------------------
PIDS=(0 0 0 0)
EXEC=0
RENDER=0
stop_all() {
    local p
    if [ "$RENDER" != 0 ]; then kill -TERM "$RENDER" 2>/dev/null || true; wait "$RENDER" 2>/dev/null || true; fi
    if [ "$EXEC" != 0 ]; then kill -TERM "$EXEC" 2>/dev/null || true; wait "$EXEC" 2>/dev/null || true; fi
    for p in "${PIDS[@]}"; do
        if [ "$p" != 0 ]; then
            kill "$p" 2>/dev/null || true
            wait "$p" 2>/dev/null || true
        fi
    done
    rm -rf "$TMP"
}
trap 'stop_all' EXIT

read -r -a PORTS <<<"$(python3 -c '
import socket
ss = [socket.socket() for _ in range(8)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')"
client() { echo "http://127.0.0.1:${PORTS[$1]}"; }
peer() { echo "http://127.0.0.1:${PORTS[$(($1 + 3))]}"; }
CLUSTER="m0=$(peer 0),m1=$(peer 1),m2=$(peer 2)"
ENDPOINTS="$(client 0),$(client 1),$(client 2)"

start_member() {
    local i=$1
    etcd --name "m$i" --data-dir "$TMP/etcd$i" \
        --listen-client-urls "$(client "$i")" --advertise-client-urls "$(client "$i")" \
        --listen-peer-urls "$(peer "$i")" --initial-advertise-peer-urls "$(peer "$i")" \
        --initial-cluster "$CLUSTER" --initial-cluster-state new --initial-cluster-token vault-test \
        --max-txn-ops 1024 >"$TMP/etcd$i.log" 2>&1 &
    PIDS[$i]=$!
}
stop_member() {
    kill "${PIDS[$1]}"
    wait "${PIDS[$1]}" 2>/dev/null || true
    PIDS[$1]=0
}
ectl() { ETCDCTL_API=3 etcdctl --endpoints "$ENDPOINTS" --dial-timeout 2s --command-timeout 5s "$@"; }
wait_healthy() {
    local t
    for t in $(seq 1 100); do
        ectl endpoint health >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    cat "$TMP"/etcd*.log >&2
    fail "the cluster did not become healthy"
}
revision() { ectl endpoint status -w json | python3 -c 'import json,sys; print(max(e["Status"]["header"]["revision"] for e in json.load(sys.stdin)))'; }

for i in 0 1 2; do start_member "$i"; done
wait_healthy

# ---- two server keys; 100 secrets sealed for both -------------------------
for k in a b; do
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/$k.key" -out "$TMP/$k.crt" -subj "/CN=server-$k" \
        -days 2 2>/dev/null
    openssl pkcs12 -export -inkey "$TMP/$k.key" -in "$TMP/$k.crt" -name "server-$k" -out "$TMP/$k.p12" \
        -passout "pass:pw-$k"
done
PW_A=$(pwfile pw-a); PW_B=$(pwfile pw-b)

SRC=$TMP/src.toml
: >"$TMP/expect.tsv"
{
    echo "[secrets]"
    for i in $(seq 1 100); do
        v="s3cr3t-$i-$RANDOM$RANDOM"
        printf 'secret%d = "[%s]"\n' "$i" "$v"
        printf 'secret%d\t%s\n' "$i" "$v" >>"$TMP/expect.tsv"
    done
} >"$SRC"
cp "$SRC" "$TMP/plain.toml"
run 0 "$CT" seal "$SRC" --cert "$TMP/a.crt" --cert "$TMP/b.crt"

PREFIX=/vault/payments/
run 0 "$CT" publish "$SRC" --etcd "$ENDPOINTS" --prefix "$PREFIX"
REV=$out
equals "$REV" "$(revision)"
equals "$(ectl get --prefix "$PREFIX" --keys-only | grep -c .)" "100"
# etcd holds exactly the sealed values, and no plaintext anywhere.
ectl get "" --prefix >"$TMP/dump"
equals "$(ectl get "${PREFIX}secret7" --print-value-only)" "$(grep '^secret7 ' "$SRC" | cut -d'"' -f2)"
while IFS=$'\t' read -r alias plain; do
    ! grep -qF "$plain" "$TMP/dump" || fail "plaintext of $alias in etcd"
done <"$TMP/expect.tsv"
ok

server_conf() { # FILE KEYSTORE [CACHE]
    {
        printf '[keystore.primary]\nfile_name = "%s"\n\n' "$2"
        printf '[secret_repository]\ntype = "etcd"\nendpoints = "%s"\nprefix = "%s"\n' "$ENDPOINTS" "$PREFIX"
        [ -z "${3:-}" ] || printf 'cache = "%s"\n' "$3"
    } >"$1"
}
mkdir "$TMP/a" "$TMP/b"
server_conf "$TMP/a/deployment.toml" "$TMP/a.p12" "$TMP/a/secrets.cache"
server_conf "$TMP/a/nocache.toml" "$TMP/a.p12"
server_conf "$TMP/b/deployment.toml" "$TMP/b.p12" "$TMP/b/secrets.cache"
cut -f1 "$TMP/expect.tsv" | sed 's/.*/&=$secret{&}/' >"$TMP/app.in"
sed 's/\t/=/' "$TMP/expect.tsv" >"$TMP/app.want"

# server A: cipher-tool render; server B: the libvault API.
server_a() { run "$1" "$CT" render "$TMP/app.in" -c "$TMP/a/${2:-deployment}.toml" --password-file "$PW_A"; }
server_b() { # EXIT MODE
    run "$1" env VAULT_ETCD_CONFIG="$TMP/b/deployment.toml" VAULT_ETCD_MODE="$2" \
        VAULT_ETCD_PASSWORD_FILE="$PW_B" VAULT_ETCD_EXPECT="$TMP/expect.tsv" \
        "$API_TEST" --filter 'etcd/server_resolves_from_cluster'
    contains "$err" "Passing: 1"
}
server_a 0
equals "$out" "$(cat "$TMP/app.want")"
equals "$err" ""
server_b 0 live
# The cache holds the sealed values and the revision only.
python3 - "$TMP/a/secrets.cache" "$REV" "$SRC" <<'PY' || fail "cache content"
import json, sys, tomllib
c = json.load(open(sys.argv[1]))
src = tomllib.load(open(sys.argv[3], "rb"))["secrets"]
assert c["revision"] == sys.argv[2], c["revision"]
assert c["values"] == src
PY
ok
equals "$(stat -c %a "$TMP/a/secrets.cache")" "600"
while IFS=$'\t' read -r alias plain; do
    ! grep -qF "$plain" "$TMP/a/secrets.cache" || fail "plaintext of $alias in the cache"
done <"$TMP/expect.tsv"
ok

# ---- publishes that must write nothing -------------------------------------
before=$(ectl get "" --prefix -w json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["header"]["revision"], len(d.get("kvs", [])))')
check_unchanged() {
    equals "$(ectl get "" --prefix -w json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["header"]["revision"], len(d.get("kvs", [])))')" "$before"
    ectl get "" --prefix >"$TMP/dump2"
    cmp -s "$TMP/dump" "$TMP/dump2" || fail "etcd changed"
    ok
}
# a plain value (in a second file: the first's sealed values are not sent either)
printf '[secrets]\nextra = "[not sealed]"\n' >"$TMP/plain2.toml"
run 1 "$CT" publish "$SRC" "$TMP/plain2.toml" --etcd "$ENDPOINTS" --prefix "$PREFIX"
contains "$err" '"extra"'
contains "$err" "plain2.toml"
lacks "$err" "not sealed]"
check_unchanged
# a wrong revision
run 1 "$CT" publish "$SRC" --etcd "$ENDPOINTS" --prefix "$PREFIX" --if-revision $((REV - 1))
contains "$err" "changed after revision"
check_unchanged
# an unreachable cluster
DEAD=http://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run 1 "$CT" publish "$SRC" --etcd "$DEAD" --prefix "$PREFIX" --timeout-ms 500
contains "$err" "$DEAD"
check_unchanged
run 2 "$CT" publish "$SRC" --etcd "$ENDPOINTS"
# the right revision writes
run 0 "$CT" publish "$SRC" --etcd "$ENDPOINTS" --prefix "$PREFIX" --if-revision "$REV"
REV=$out

# ---- a value moved to another alias inside etcd fails to open --------------
ectl put "${PREFIX}secret1" "$(ectl get "${PREFIX}secret2" --print-value-only)" >/dev/null
server_a 1 nocache
contains "$err" '"secret1"'
lacks "$err" '"secret2"'
lacks "$err" "$(grep -P '^secret2\t' "$TMP/expect.tsv" | cut -f2)"
# check with the key names the moved value; list shows the repository's aliases
run 1 "$CT" check "$TMP/a/nocache.toml" -k "$TMP/a.p12" --password-file "$PW_A"
contains "$err" '"secret1": does not open'
lacks "$err" '"secret2"'
# --prune removes what the files no longer have; the republish heals secret1
ectl put "${PREFIX}stale" "vault:v1:stale" >/dev/null
run 0 "$CT" publish "$SRC" --etcd "$ENDPOINTS" --prefix "$PREFIX" --prune
equals "$(ectl get --prefix "$PREFIX" --keys-only | grep -c .)" "100"
server_a 0
equals "$out" "$(cat "$TMP/app.want")"

run 0 "$CT" check "$TMP/a/nocache.toml" -k "$TMP/a.p12" --password-file "$PW_A"
# min_revision: an answer older than the operator's minimum is refused
cp "$TMP/a/nocache.toml" "$TMP/a/minrev.toml"
printf 'min_revision = "%s"\n' $(($(revision) + 1000)) >>"$TMP/a/minrev.toml"
server_a 1 minrev
contains "$err" "older than min_revision"
equals "$out" ""
run 0 "$CT" list "$TMP/a/nocache.toml" --json
equals "$(printf '%s' "$out" | python3 -c 'import json,sys; s=json.load(sys.stdin)["files"][0]["secrets"]; print(len(s), sorted(set(e["state"] for e in s)))')" "100 ['sealed']"
# every reference must name an alias that etcd has
cp "$TMP/a/nocache.toml" "$TMP/a/refs.toml"
printf '\n[database]\npassword = "$secret{secret10}"\nother = "$secret{nosuch}"\n' >>"$TMP/a/refs.toml"
run 1 "$CT" check "$TMP/a/refs.toml"
contains "$err" '"nosuch"'
lacks "$err" '"secret10"'
sed -i '/nosuch/d' "$TMP/a/refs.toml"
run 0 "$CT" check "$TMP/a/refs.toml"

# ---- member loss, quorum loss, recovery -----------------------------------
stop_member 0
server_a 0
equals "$out" "$(cat "$TMP/app.want")"
server_b 0 live
stop_member 1
# no quorum: without a cache, fail closed naming every endpoint
server_a 1 nocache
for i in 0 1 2; do contains "$err" "$(client "$i")"; done
contains "$err" "nocache.toml"
equals "$out" ""
# with the cache: start, and say so
server_a 0
equals "$out" "$(cat "$TMP/app.want")"
contains "$err" "warning:"
contains "$err" "last-known-good cache"
server_b 0 cache
# a cache that does not parse is no way out
cp "$TMP/b/secrets.cache" "$TMP/b/good.cache"
printf 'junk' >"$TMP/b/secrets.cache"
server_b 0 fail
cp "$TMP/b/good.cache" "$TMP/b/secrets.cache"

start_member 0; start_member 1
wait_healthy
# rotate one value while the servers are down, then start again
sed -i 's/^secret5 = .*/secret5 = "[rotated-5]"/' "$TMP/plain.toml"
grep '^secret5 ' "$TMP/plain.toml" >/dev/null
cp "$TMP/plain.toml" "$TMP/src2.toml"
run 0 "$CT" seal "$TMP/src2.toml" --cert "$TMP/a.crt" --cert "$TMP/b.crt"
run 0 "$CT" publish "$TMP/src2.toml" --etcd "$ENDPOINTS" --prefix "$PREFIX"
REV=$out
sed -i 's/^secret5\t.*/secret5\trotated-5/' "$TMP/expect.tsv"
sed -i 's/^secret5=.*/secret5=rotated-5/' "$TMP/app.want"
server_a 0
equals "$out" "$(cat "$TMP/app.want")"
equals "$err" ""
equals "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["revision"])' "$TMP/a/secrets.cache")" "$REV"
server_b 0 live
equals "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["revision"])' "$TMP/b/secrets.cache")" "$REV"

# ---- TLS: server and client certificates made here --------------------------
mkca() {
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/$1.key" -out "$TMP/$1.crt" -subj "/CN=$1" -days 2 \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
mkleaf() { # NAME EXTENSIONS
    openssl req -newkey rsa:2048 -nodes -keyout "$TMP/$1.key" -out "$TMP/$1.csr" -subj "/CN=$1" 2>/dev/null
    printf "$2" >"$TMP/$1.ext"
    openssl x509 -req -in "$TMP/$1.csr" -CA "$TMP/ca.crt" -CAkey "$TMP/ca.key" -CAcreateserial \
        -out "$TMP/$1.crt" -days 2 -extfile "$TMP/$1.ext" 2>/dev/null
}
mkca ca
mkca other-ca
mkleaf member 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n'
mkleaf client 'extendedKeyUsage=clientAuth\n'
TLS_EP=https://127.0.0.1:${PORTS[6]}
etcd --name tls --data-dir "$TMP/etcd-tls" --listen-client-urls "$TLS_EP" --advertise-client-urls "$TLS_EP" \
    --listen-peer-urls "http://127.0.0.1:${PORTS[7]}" --initial-advertise-peer-urls "http://127.0.0.1:${PORTS[7]}" \
    --initial-cluster "tls=http://127.0.0.1:${PORTS[7]}" --cert-file "$TMP/member.crt" --key-file "$TMP/member.key" \
    --client-cert-auth --trusted-ca-file "$TMP/ca.crt" --max-txn-ops 1024 >"$TMP/etcd-tls.log" 2>&1 &
PIDS[3]=$!
tctl() { ETCDCTL_API=3 etcdctl --endpoints "$TLS_EP" --cacert "$TMP/ca.crt" --cert "$TMP/client.crt" \
             --key "$TMP/client.key" --dial-timeout 2s "$@"; }
for t in $(seq 1 100); do tctl endpoint health >/dev/null 2>&1 && break; sleep 0.2; done
tctl endpoint health >/dev/null 2>&1 || fail "the TLS member did not start"
ok
TLS_OPTS=(--etcd "$TLS_EP" --prefix "$PREFIX" --cacert "$TMP/ca.crt" --cert "$TMP/client.crt" --key "$TMP/client.key")
run 0 "$CT" publish "$TMP/src2.toml" "${TLS_OPTS[@]}"
equals "$(tctl get --prefix "$PREFIX" --keys-only | grep -c .)" "100"
tls_conf() { # FILE CA [CERT KEY]
    {
        printf '[keystore.primary]\nfile_name = "%s"\n\n' "$TMP/a.p12"
        printf '[secret_repository]\ntype = "etcd"\nendpoints = "%s"\nprefix = "%s"\n' "$TLS_EP" "$PREFIX"
        printf 'ca_file = "%s"\n' "$2"
        [ -z "${3:-}" ] || printf 'cert_file = "%s"\nkey_file = "%s"\n' "$3" "$4"
    } >"$1"
}
tls_conf "$TMP/a/tls.toml" "$TMP/ca.crt" "$TMP/client.crt" "$TMP/client.key"
server_a 0 tls
equals "$out" "$(cat "$TMP/app.want")"
# a wrong CA: the member is not trusted
tls_conf "$TMP/a/tls.toml" "$TMP/other-ca.crt" "$TMP/client.crt" "$TMP/client.key"
server_a 1 tls
contains "$err" "does not verify against ca_file"
contains "$err" "$TLS_EP"
run 1 "$CT" publish "$TMP/src2.toml" --etcd "$TLS_EP" --prefix "${PREFIX}x/" --cacert "$TMP/other-ca.crt" \
    --cert "$TMP/client.crt" --key "$TMP/client.key"
contains "$err" "does not verify against ca_file"
# no client certificate: the member refuses
tls_conf "$TMP/a/tls.toml" "$TMP/ca.crt"
server_a 1 tls
contains "$err" "no client certificate is configured"
run 1 "$CT" publish "$TMP/src2.toml" --etcd "$TLS_EP" --prefix "${PREFIX}x/" --cacert "$TMP/ca.crt"
contains "$err" "refused the handshake"
equals "$(tctl get --prefix "${PREFIX}x/" --keys-only | grep -c . || true)" "0"

# ---- watch: a rotated value reaches a running API watcher within 2 s ---------
printf '[secrets]\nsecret9 = "[rotated-9]"\n' >"$TMP/rot9.toml"
run 0 "$CT" seal "$TMP/rot9.toml" --cert "$TMP/a.crt" --cert "$TMP/b.crt"
ROT9=$(cut -d'"' -f2 "$TMP/rot9.toml" | tail -1)
run 0 env VAULT_ETCD_CONFIG="$TMP/b/deployment.toml" VAULT_ETCD_PASSWORD_FILE="$PW_B" \
    VAULT_ETCD_ENDPOINTS="$ENDPOINTS" VAULT_ETCD_PREFIX="$PREFIX" \
    VAULT_ETCD_ROTATE="$(printf 'secret9\t%s\trotated-9' "$ROT9")" \
    "$API_TEST" --filter 'etcd/watcher_receives_rotated_value'
contains "$err" "Passing: 1"
equals "$(ectl get "${PREFIX}secret9" --print-value-only)" "$ROT9"
# still no plaintext anywhere in etcd
ectl get "" --prefix >"$TMP/dump3"
! grep -qF "rotated-" "$TMP/dump3" || fail "plaintext in etcd"
while IFS=$'\t' read -r alias plain; do
    ! grep -qF "$plain" "$TMP/dump3" || fail "plaintext of $alias in etcd"
done <"$TMP/expect.tsv"
ok

# ---- exec --watch: the child is signalled when its secret changes ------------
cat >"$TMP/child.sh" <<'SH'
trap 'echo "HUP $(date +%s.%N) $DB" >>"$OUTDIR/hups"' HUP
trap 'exit 7' TERM
echo ready >"$OUTDIR/ready"
while :; do sleep 0.05; done
SH
reseal() { # ALIAS PLAIN: a sealed value of ALIAS for both keys
    printf '[secrets]\n%s = "[%s]"\n' "$1" "$2" >"$TMP/one.toml"
    "$CT" seal "$TMP/one.toml" --cert "$TMP/a.crt" --cert "$TMP/b.crt" 2>/dev/null
    cut -d'"' -f2 "$TMP/one.toml" | tail -1
}
mkdir "$TMP/child"
OUTDIR=$TMP/child "$CT" exec --watch -c "$TMP/a/deployment.toml" --password-file "$PW_A" --env DB=secret3 \
    -- bash "$TMP/child.sh" 2>"$TMP/exec.err" &
EXEC=$!
for t in $(seq 1 100); do [ -e "$TMP/child/ready" ] && break; sleep 0.1; done
[ -e "$TMP/child/ready" ] || fail "the watched child did not start: $(cat "$TMP/exec.err")"
sleep 0.5 # the watch is set up after the child starts
# a secret the child was not given: no signal
printf '[secrets]\nsecret4 = "%s"\n' "$(reseal secret4 other-4)" >"$TMP/pub4.toml"
run 0 "$CT" publish "$TMP/pub4.toml" --etcd "$ENDPOINTS" --prefix "$PREFIX"
sleep 1.5
[ ! -e "$TMP/child/hups" ] || fail "signalled for a secret it does not use"
ok
# its own secret: SIGHUP within 2 s
printf '[secrets]\nsecret3 = "%s"\n' "$(reseal secret3 rotated-3)" >"$TMP/pub3.toml"
t0=$(date +%s.%N)
run 0 "$CT" publish "$TMP/pub3.toml" --etcd "$ENDPOINTS" --prefix "$PREFIX"
for t in $(seq 1 40); do [ -e "$TMP/child/hups" ] && break; sleep 0.05; done
[ -e "$TMP/child/hups" ] || fail "no SIGHUP within 2 s: $(cat "$TMP/exec.err")"
t1=$(cut -d' ' -f2 "$TMP/child/hups" | head -1)
python3 -c "import sys; d = float(sys.argv[2]) - float(sys.argv[1]); sys.exit(0 if d < 2 else 1)" "$t0" "$t1" \
    || fail "SIGHUP after more than 2 s"
ok
equals "$(grep -c HUP "$TMP/child/hups")" "1"
# the child's secret came from etcd, opened; the signal names no secret
equals "$(cut -d' ' -f3- "$TMP/child/hups")" "$(grep -P '^secret3\t' "$TMP/expect.tsv" | cut -f2)"
contains "$(cat "$TMP/exec.err")" '"secret3" changed'
lacks "$(cat "$TMP/exec.err")" "rotated-3"
# TERM goes to the child; exec exits with its status
kill -TERM "$EXEC"
set +e; wait "$EXEC"; st=$?; set -e
EXEC=0
equals "$st" "7"
sed -i 's/^secret3\t.*/secret3\trotated-3/; s/^secret4\t.*/secret4\tother-4/' "$TMP/expect.tsv"
ectl get "" --prefix >"$TMP/dump4"
for v in rotated-3 other-4; do ! grep -qF "$v" "$TMP/dump4" || fail "plaintext $v in etcd"; done
ok

# ---- render --watch: OUT is rendered again, atomically, on a change -----------
printf 'db=$secret{secret6}\n' >"$TMP/live.in"
"$CT" render "$TMP/live.in" --watch -o "$TMP/live.conf" -c "$TMP/a/deployment.toml" --password-file "$PW_A" \
    2>"$TMP/render.err" &
RENDER=$!
for t in $(seq 1 100); do [ -s "$TMP/live.conf" ] && break; sleep 0.1; done
equals "$(cat "$TMP/live.conf")" "db=$(grep -P '^secret6\t' "$TMP/expect.tsv" | cut -f2)"
printf '[secrets]\nsecret6 = "%s"\n' "$(reseal secret6 rotated-6)" >"$TMP/pub6.toml"
run 0 "$CT" publish "$TMP/pub6.toml" --etcd "$ENDPOINTS" --prefix "$PREFIX"
for t in $(seq 1 40); do [ "$(cat "$TMP/live.conf")" = "db=rotated-6" ] && break; sleep 0.05; done
equals "$(cat "$TMP/live.conf")" "db=rotated-6"
equals "$(stat -c %a "$TMP/live.conf")" "600"
[ -z "$(find "$TMP" -maxdepth 1 -name '.live.conf*' -o -maxdepth 1 -name 'live.conf.*')" ] || fail "temporary file left"
ok
kill -TERM "$RENDER"
set +e; wait "$RENDER"; st=$?; set -e
RENDER=0
equals "$st" "0"
lacks "$(cat "$TMP/render.err")" "rotated-6"
run 2 "$CT" render "$TMP/live.in" --watch -c "$TMP/a/deployment.toml"

# ---- etcd auth: a user with a password from a file, over TLS -------------------
tctl user add root --new-user-password rootpw >/dev/null
tctl user grant-role root root >/dev/null 2>&1 || true
tctl user add server --new-user-password 'srv"pw\x' >/dev/null
tctl role add payments >/dev/null
tctl role grant-permission payments --prefix=true readwrite "$PREFIX" >/dev/null
tctl user grant-role server payments >/dev/null
tctl auth enable >/dev/null
ok
SPW=$(pwfile 'srv"pw\x')
# etcd 3.4's gateway refuses, with auth on, a client certificate with a CN
run 1 "$CT" publish "$TMP/src.toml" "${TLS_OPTS[@]}" --user server --etcd-password-file "$SPW"
contains "$err" "CommonName"
mkleaf_nocn() {
    openssl req -newkey rsa:2048 -nodes -keyout "$TMP/$1.key" -out "$TMP/$1.csr" -subj "/O=payments" 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >"$TMP/$1.ext"
    openssl x509 -req -in "$TMP/$1.csr" -CA "$TMP/ca.crt" -CAkey "$TMP/ca.key" -CAcreateserial \
        -out "$TMP/$1.crt" -days 2 -extfile "$TMP/$1.ext" 2>/dev/null
}
mkleaf_nocn nocn
TLS_OPTS=(--etcd "$TLS_EP" --prefix "$PREFIX" --cacert "$TMP/ca.crt" --cert "$TMP/nocn.crt" --key "$TMP/nocn.key")
run 1 "$CT" publish "$TMP/src.toml" "${TLS_OPTS[@]}" --user server --etcd-password-file "$(pwfile wrong)"
contains "$err" "authenticating etcd user server"
run 0 "$CT" publish "$TMP/src.toml" "${TLS_OPTS[@]}" --user server --etcd-password-file "$SPW"
equals "$(tctl --user root:rootpw get "${PREFIX}secret7" --print-value-only)" "$(grep '^secret7 ' "$TMP/src.toml" | cut -d'"' -f2)"
tls_conf "$TMP/a/tls.toml" "$TMP/ca.crt" "$TMP/nocn.crt" "$TMP/nocn.key"
printf 'user = "server"\npassword_file = "%s"\n' "$SPW" >>"$TMP/a/tls.toml"
run 0 "$CT" render "$TMP/live.in" -c "$TMP/a/tls.toml" --password-file "$PW_A"
equals "$out" "db=$(grep -P '^secret6\t' "$TMP/expect.tsv" | cut -f2)"
chmod 644 "$SPW"
run 1 "$CT" render "$TMP/live.in" -c "$TMP/a/tls.toml" --password-file "$PW_A"
contains "$err" "0644"
lacks "$err" 'srv"pw'

done_tests
