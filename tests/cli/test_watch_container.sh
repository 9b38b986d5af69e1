#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# render --watch and exec --watch with --container-secret: the warning that a
# root-owned password file readable by others was accepted is said once per
# process, however often a change in the repository (a real etcd 3.4 member
# on loopback) makes render open the keystore again.
source "$(dirname "$0")/lib.sh"
for tool in etcd etcdctl openssl python3; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/deps.sh installs it)"
done
if [ "$(id -u)" != 0 ]; then
    echo "skipped: a container secret file must be owned by root; run as root"
    exit 77
fi
source "$(dirname "$0")/etcd_member.sh"
start_etcd "$TMP/etcd"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/k.key" -out "$TMP/k.crt" -subj "/CN=watch" -days 2 \
    2>/dev/null
openssl pkcs12 -export -inkey "$TMP/k.key" -in "$TMP/k.crt" -name watch -out "$TMP/k.p12" -passout pass:pw-k
# A container's secret volume: root's file, readable by all.
mkdir -m 755 "$TMP/secrets"
printf 'pw-k\n' >"$TMP/secrets/keystore-password"
chmod 444 "$TMP/secrets/keystore-password"
PW=$TMP/secrets/keystore-password
WARNING="taken as a container secret"

PREFIX=/vault/watch/
publish() { # VALUE: secret1 sealed anew and published
    printf '[secrets]\nsecret1 = "[%s]"\n' "$1" >"$TMP/pub.toml"
    "$CT" seal "$TMP/pub.toml" --cert "$TMP/k.crt" 2>/dev/null || fail "seal"
    run 0 "$CT" publish "$TMP/pub.toml" --etcd "$EP" --prefix "$PREFIX"
}
publish first-1
printf '[keystore.primary]\nfile_name = "%s"\n\n[secret_repository]\ntype = "etcd"\nendpoints = "%s"\nprefix = "%s"\n' \
    "$TMP/k.p12" "$EP" "$PREFIX" >"$TMP/app.toml"

# wait_for COND...: up to 10 s for a shell condition.
wait_for() {
    local t
    for t in $(seq 1 200); do eval "$*" && return 0; sleep 0.05; done
    return 1
}

# ---- render --watch: three renderings, one warning ------------------------------
printf 'db=$secret{secret1}\n' >"$TMP/live.in"
"$CT" render "$TMP/live.in" --watch -o "$TMP/live.conf" -c "$TMP/app.toml" --password-file "$PW" \
    --container-secret 2>"$TMP/render.err" &
BG=$!
wait_for '[ "$(cat "$TMP/live.conf" 2>/dev/null)" = db=first-1 ]' || fail "first rendering: $(cat "$TMP/render.err")"
ok
sleep 0.5 # the watch is set up
for v in second-2 third-3; do
    publish "$v"
    wait_for '[ "$(cat "$TMP/live.conf")" = "db=$v" ]' || fail "no rendering of $v: $(cat "$TMP/render.err")"
    ok
done
kill -TERM "$BG"
set +e; wait "$BG"; st=$?; set -e
BG=0
equals "$st" 0
# Each opening of the keystore read the file (three renderings) ...
equals "$(grep -c 'rendered again after a change' "$TMP/render.err")" 2
# ... and the warning was said once, naming the file.
equals "$(grep -c "$WARNING" "$TMP/render.err")" 1
contains "$(cat "$TMP/render.err")" "warning: $PW: $WARNING (owned by root, mode 0444)"
lacks "$(cat "$TMP/render.err")" "pw-k"

# ---- exec --watch: the child signalled on a change, one warning ------------------
cat >"$TMP/child.sh" <<'SH'
trap 'echo HUP >>"$OUTDIR/hups"' HUP
trap 'exit 0' TERM
echo ready >"$OUTDIR/ready"
while :; do sleep 0.05; done
SH
mkdir "$TMP/child"
OUTDIR=$TMP/child "$CT" exec --watch -c "$TMP/app.toml" --password-file "$PW" --container-secret \
    --env DB=secret1 -- bash "$TMP/child.sh" 2>"$TMP/exec.err" &
BG=$!
wait_for '[ -e "$TMP/child/ready" ]' || fail "the watched child did not start: $(cat "$TMP/exec.err")"
sleep 0.5
publish fourth-4
wait_for '[ -e "$TMP/child/hups" ]' || fail "no SIGHUP: $(cat "$TMP/exec.err")"
ok
kill -TERM "$BG"
set +e; wait "$BG"; st=$?; set -e
BG=0
equals "$st" 0
equals "$(grep -c "$WARNING" "$TMP/exec.err")" 1
lacks "$(cat "$TMP/exec.err")" "pw-k"

done_tests
