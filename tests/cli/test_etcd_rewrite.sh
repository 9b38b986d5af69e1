#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Rewriting values in place in an etcd repository, and the revisions that
# guard them, against a real etcd 3.4 member on loopback: rotate and
# recipients read, re-seal and write back in one compare-and-swap
# transaction (a concurrent publish makes them fail with nothing written);
# etcdctl is the independent reader of what etcd holds and at which revision.
source "$(dirname "$0")/lib.sh"
for tool in etcd etcdctl openssl python3; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/deps.sh installs it)"
done
API_TEST=$(dirname "$CT")/../tests/api_test_etcd
[ -x "$API_TEST" ] || fail "no $API_TEST: build the tests first"

source "$(dirname "$0")/etcd_member.sh"
revision() { ectl get "" --prefix -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])'; }
# the mod_revision of every key under PREFIX, one per line, sorted and unique
mod_revisions() {
    ectl get "$PREFIX" --prefix -w json |
        python3 -c 'import json,sys; print("\n".join(sorted({str(k["mod_revision"]) for k in json.load(sys.stdin).get("kvs", [])})))'
}
start_etcd "$TMP/etcd"

# ---- keys: a and b hold the values now, c is the new key ---------------------
for k in a b c; do
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/$k.key" -out "$TMP/$k.crt" -subj "/CN=server-$k" \
        -days 2 2>/dev/null
    openssl pkcs12 -export -inkey "$TMP/$k.key" -in "$TMP/$k.crt" -name "server-$k" -out "$TMP/$k.p12" \
        -passout "pass:pw-$k"
done
PW_A=$(pwfile pw-a); PW_B=$(pwfile pw-b); PW_C=$(pwfile pw-c)
# a's key as an encrypted PEM file: its password is asked when the key is first used
openssl pkey -in "$TMP/a.key" -aes256 -passout pass:pem-a -out "$TMP/a-enc.pem"
cat "$TMP/a.crt" >>"$TMP/a-enc.pem"

PREFIX=/vault/rw/
SRC=$TMP/src.toml
: >"$TMP/expect.tsv"
{
    echo "[secrets]"
    for i in 1 2 3 4 5; do
        v="rw-$i-$RANDOM$RANDOM"
        printf 'secret%d = "[%s]"\n' "$i" "$v"
        printf 'secret%d\t%s\n' "$i" "$v" >>"$TMP/expect.tsv"
    done
} >"$SRC"
run 0 "$CT" seal "$SRC" --cert "$TMP/a.crt" --cert "$TMP/b.crt"
run 0 "$CT" publish "$SRC" --etcd "$EP" --prefix "$PREFIX"
REV0=$out
# an old state of etcd, restored at the end to play a rollback
ectl snapshot save "$TMP/old.snap" >/dev/null 2>&1 || fail "etcdctl snapshot save"

server_conf() { # FILE KEYSTORE
    printf '[keystore.primary]\nfile_name = "%s"\n\n[secret_repository]\ntype = "etcd"\nendpoints = "%s"\nprefix = "%s"\n' \
        "$2" "$EP" "$PREFIX" >"$1"
}
for k in a b c; do server_conf "$TMP/$k.toml" "$TMP/$k.p12"; done
cut -f1 "$TMP/expect.tsv" | sed 's/.*/&=$secret{&}/' >"$TMP/app.in"
sed 's/\t/=/' "$TMP/expect.tsv" >"$TMP/app.want"
render_as() { run "$1" "$CT" render "$TMP/app.in" -c "$TMP/$2.toml" --password-file "$3"; }
render_as 0 b "$PW_B"
equals "$out" "$(cat "$TMP/app.want")"
render_as 1 c "$PW_C"

# ---- rotate: to recipients a and c, in one transaction -------------------------
ectl get "$PREFIX" --prefix >"$TMP/before"
run 0 "$CT" rotate "$TMP/a.toml" --from-keystore "$TMP/a.p12" --from-password-file "$PW_A" \
    --cert "$TMP/a.crt" --cert "$TMP/c.crt"
contains "$err" "rotated 5 secrets"
contains "$err" "etcd $PREFIX"
# one transaction: every key now has the same, new, mod_revision
REV1=$(revision)
equals "$(mod_revisions)" "$REV1"
equals "$REV1" "$((REV0 + 1))"
ectl get "$PREFIX" --prefix >"$TMP/after"
! cmp -s "$TMP/before" "$TMP/after" || fail "rotate changed nothing in etcd"
ok
render_as 0 c "$PW_C"
equals "$out" "$(cat "$TMP/app.want")"
render_as 1 b "$PW_B"
# the local file was not touched: it has no [secrets]
lacks "$(cat "$TMP/a.toml")" "[secrets]"
while IFS=$'\t' read -r alias plain; do
    ! grep -qF "$plain" "$TMP/after" || fail "plaintext of $alias in etcd"
done <"$TMP/expect.tsv"
ok

# ---- rotate with a key that opens nothing: exit 1, nothing written ----------
run 1 "$CT" rotate "$TMP/a.toml" --from-keystore "$TMP/b.p12" --from-password-file "$PW_B" --cert "$TMP/a.crt"
contains "$err" '"secret1"'
contains "$err" "nothing was written in etcd"
equals "$(revision)" "$REV1"

# ---- a publish between the read and the write: exit 1, nothing written ------
# The old key's password comes through a pipe the test feeds only after it
# published: rotate has read etcd by then and waits for the password.
mkfifo "$TMP/pw.fifo"
exec 3<>"$TMP/pw.fifo"
"$CT" rotate "$TMP/a.toml" --from-keystore "$TMP/a-enc.pem" --from-password-fd 3 \
    --cert "$TMP/a.crt" --cert "$TMP/b.crt" >"$TMP/rot.out" 2>"$TMP/rot.err" &
BG=$!
sleep 1
printf '[secrets]\nsecret2 = "[concurrent-2]"\n' >"$TMP/two.toml"
run 0 "$CT" seal "$TMP/two.toml" --cert "$TMP/a.crt" --cert "$TMP/c.crt"
run 0 "$CT" publish "$TMP/two.toml" --etcd "$EP" --prefix "$PREFIX"
REV2=$out
printf 'pem-a\n' >&3
set +e; wait "$BG"; st=$?; set -e
BG=0
exec 3>&-
equals "$st" "1"
contains "$(cat "$TMP/rot.err")" "changed after revision $REV1"
contains "$(cat "$TMP/rot.err")" "nothing written"
equals "$(revision)" "$REV2"
equals "$(ectl get "${PREFIX}secret2" --print-value-only)" "$(grep '^secret2 ' "$TMP/two.toml" | cut -d'"' -f2)"
sed -i 's/^secret2\t.*/secret2\tconcurrent-2/' "$TMP/expect.tsv"
sed -i 's/^secret2=.*/secret2=concurrent-2/' "$TMP/app.want"
render_as 0 c "$PW_C"
equals "$out" "$(cat "$TMP/app.want")"

# ---- a key deleted between the read and the write: exit 1, not written back ------
exec 3<>"$TMP/pw.fifo"
"$CT" rotate "$TMP/a.toml" --from-keystore "$TMP/a-enc.pem" --from-password-fd 3 \
    --cert "$TMP/a.crt" --cert "$TMP/c.crt" >"$TMP/rot.out" 2>"$TMP/rot.err" &
BG=$!
sleep 1
ectl del "${PREFIX}secret5" >/dev/null
REVD=$(revision)
printf 'pem-a\n' >&3
set +e; wait "$BG"; st=$?; set -e
BG=0
exec 3>&-
equals "$st" "1"
contains "$(cat "$TMP/rot.err")" "nothing written"
equals "$(revision)" "$REVD"
equals "$(ectl get "${PREFIX}secret5" --keys-only | grep -c . || true)" "0"
# put it back, sealed for a and c as the others
printf '[secrets]\nsecret5 = "[%s]"\n' "$(grep -P '^secret5\t' "$TMP/expect.tsv" | cut -f2)" >"$TMP/five.toml"
run 0 "$CT" seal "$TMP/five.toml" --cert "$TMP/a.crt" --cert "$TMP/c.crt"
run 0 "$CT" publish "$TMP/five.toml" --etcd "$EP" --prefix "$PREFIX"
render_as 0 c "$PW_C"
equals "$out" "$(cat "$TMP/app.want")"

# the libvault API: a publish inside the rewrite, a failing value, a veto
run 0 env VAULT_ETCD_ENDPOINTS="$EP" VAULT_ETCD_REWRITE_PREFIX=/vault/api-rewrite/ \
    "$API_TEST" --filter 'etcd/rewrite_is_guarded_by_the_revision_it_read'
contains "$err" "Passing: 1"
equals "$(ectl get /vault/api-rewrite/k1 --print-value-only)" "sealed-1-x"

# ---- recipients add and remove, in etcd ------------------------------------------
run 0 "$CT" recipients add "$TMP/c.toml" -k "$TMP/c.p12" --password-file "$PW_C" --cert "$TMP/b.crt"
contains "$err" "added 1 recipient to 5 values in etcd $PREFIX"
REV3=$(revision)
equals "$(mod_revisions)" "$REV3"
render_as 0 b "$PW_B"
equals "$out" "$(cat "$TMP/app.want")"
run 0 "$CT" recipients remove "$TMP/c.toml" -k "$TMP/c.p12" --password-file "$PW_C" --cert "$TMP/a.crt"
equals "$(mod_revisions)" "$(revision)"
render_as 1 a "$PW_A"
render_as 0 b "$PW_B"
# a key id that is a recipient of nothing: exit 1, nothing written
REV4=$(revision)
run 1 "$CT" recipients remove "$TMP/c.toml" -k "$TMP/c.p12" --password-file "$PW_C" --cert "$TMP/a.crt"
contains "$err" "not a recipient of any value"
equals "$(revision)" "$REV4"
# ---- exec --watch: a change between the start-up fetch and the watch ---------
# The keystore password is asked after the fetch; the test publishes while
# exec waits for it, then gives it: the change is older than the watch, newer
# than the secrets the child got, and must be signalled.
reseal() { # ALIAS PLAIN: a sealed value of ALIAS for b and c
    printf '[secrets]\n%s = "[%s]"\n' "$1" "$2" >"$TMP/one.toml"
    "$CT" seal "$TMP/one.toml" --cert "$TMP/b.crt" --cert "$TMP/c.crt" 2>/dev/null
    cut -d'"' -f2 "$TMP/one.toml" | tail -1
}
cat >"$TMP/child.sh" <<'SH'
trap 'echo "HUP $DB" >>"$OUTDIR/hups"' HUP
trap 'exit 7' TERM
echo "$DB" >"$OUTDIR/ready"
while :; do sleep 0.05; done
SH
mkdir "$TMP/child"
exec 3<>"$TMP/pw.fifo"
OUTDIR=$TMP/child "$CT" exec --watch -c "$TMP/c.toml" --password-fd 3 --env DB=secret3 \
    -- bash "$TMP/child.sh" 2>"$TMP/exec.err" &
BG=$!
sleep 1
printf '[secrets]\nsecret3 = "%s"\n' "$(reseal secret3 gap-3)" >"$TMP/pub3.toml"
run 0 "$CT" publish "$TMP/pub3.toml" --etcd "$EP" --prefix "$PREFIX"
printf 'pw-c\n' >&3
exec 3>&-
for t in $(seq 1 100); do [ -e "$TMP/child/ready" ] && break; sleep 0.05; done
[ -e "$TMP/child/ready" ] || fail "the watched child did not start: $(cat "$TMP/exec.err")"
# the child has the value read before the publish ...
equals "$(cat "$TMP/child/ready")" "$(grep -P '^secret3\t' "$TMP/expect.tsv" | cut -f2)"
# ... and is told that it changed
for t in $(seq 1 60); do [ -e "$TMP/child/hups" ] && break; sleep 0.05; done
[ -e "$TMP/child/hups" ] || fail "the change made before the watch started was missed: $(cat "$TMP/exec.err")"
ok
contains "$(cat "$TMP/exec.err")" '"secret3" changed'
kill -TERM "$BG"
set +e; wait "$BG"; st=$?; set -e
BG=0
equals "$st" "7"
sed -i 's/^secret3\t.*/secret3\tgap-3/' "$TMP/expect.tsv"
sed -i 's/^secret3=.*/secret3=gap-3/' "$TMP/app.want"

# ---- render --watch --password-fd: the password is read once and kept -------------
printf 'db=$secret{secret4}\n' >"$TMP/live.in"
"$CT" render "$TMP/live.in" --watch -o "$TMP/live.conf" -c "$TMP/c.toml" --password-fd 3 \
    3<"$PW_C" 2>"$TMP/render.err" &
BG=$!
for t in $(seq 1 100); do [ -s "$TMP/live.conf" ] && break; sleep 0.1; done
equals "$(cat "$TMP/live.conf")" "db=$(grep -P '^secret4\t' "$TMP/expect.tsv" | cut -f2)"
for round in 1 2; do
    printf '[secrets]\nsecret4 = "%s"\n' "$(reseal secret4 "fd-rotated-$round")" >"$TMP/pub4.toml"
    run 0 "$CT" publish "$TMP/pub4.toml" --etcd "$EP" --prefix "$PREFIX"
    for t in $(seq 1 60); do [ "$(cat "$TMP/live.conf")" = "db=fd-rotated-$round" ] && break; sleep 0.05; done
    equals "$(cat "$TMP/live.conf")" "db=fd-rotated-$round"
done
kill -0 "$BG" || fail "render --watch died: $(cat "$TMP/render.err")"
ok
lacks "$(cat "$TMP/render.err")" "error"
kill -TERM "$BG"
set +e; wait "$BG"; st=$?; set -e
BG=0
equals "$st" "0"
sed -i 's/^secret4\t.*/secret4\tfd-rotated-2/' "$TMP/expect.tsv"
sed -i 's/^secret4=.*/secret4=fd-rotated-2/' "$TMP/app.want"

# ---- a watch asked to resume after a compacted revision reports every alias ------
ectl compact "$(revision)" >/dev/null
run 0 env VAULT_ETCD_CONFIG="$TMP/c.toml" VAULT_ETCD_COMPACTED="$(printf '%s\t5' "$REV0")" \
    "$API_TEST" --filter 'etcd/watch_after_a_compacted_revision_reports_every_alias'
contains "$err" "Passing: 1"

# ---- rollback: etcd restored from an older snapshot ----------------------------
server_conf "$TMP/cached.toml" "$TMP/b.p12"
printf 'cache = "%s"\n' "$TMP/b.cache" >>"$TMP/cached.toml"
render_as 0 cached "$PW_B"
equals "$out" "$(cat "$TMP/app.want")"
NEWREV=$(revision)
equals "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["revision"])' "$TMP/b.cache")" "$NEWREV"
cp "$TMP/b.cache" "$TMP/b.cache.before"
server_conf "$TMP/minrev.toml" "$TMP/b.p12"
printf 'min_revision = "%s"\n' "$NEWREV" >>"$TMP/minrev.toml"
render_as 0 minrev "$PW_B"
stop_etcd
ETCDCTL_API=3 etcdctl snapshot restore "$TMP/old.snap" --name m --data-dir "$TMP/etcd-restored" \
    --initial-cluster "m=http://127.0.0.1:$PPORT" --initial-advertise-peer-urls "http://127.0.0.1:$PPORT" \
    >/dev/null 2>&1 || fail "etcdctl snapshot restore"
start_etcd "$TMP/etcd-restored"
OLDREV=$(revision)
[ "$OLDREV" -lt "$NEWREV" ] || fail "the restored etcd is at revision $OLDREV, not older than $NEWREV"
ok
# the values etcd now serves are the old ones and still open (nothing else would notice) ...
render_as 0 b "$PW_B"
lacks "$out" "gap-3"
# ... but a server with a cache refuses them, and keeps its cache
render_as 1 cached "$PW_B"
contains "$err" "etcd answered revision $OLDREV, older than the cache's $NEWREV"
contains "$err" "refusing a rollback"
contains "$err" "cached.toml"
equals "$out" ""
cmp -s "$TMP/b.cache" "$TMP/b.cache.before" || fail "the cache changed"
ok
# ... and so does a server with min_revision
render_as 1 minrev "$PW_B"
contains "$err" "repository revision $OLDREV is older than min_revision $NEWREV"
equals "$out" ""

done_tests
