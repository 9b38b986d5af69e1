#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Sizing of the etcd secret repository (docs/FLEET.md): one etcd member on
# loopback, N native values sealed for two keys, published in one
# transaction; measures the publish, a start-up from etcd (render), the same
# start-up from the cache with etcd down, and the same values read from a
# file, plus the bytes etcd, the request and the cache hold; then C servers
# starting at the same moment against the member, each with its own cache.
#
#   bash bench/etcd.sh [N [C]]  (default 1000 and 50; uses build/ unless BENCH_BUILD=DIR)
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CT=${BENCH_BUILD:-$ROOT/build}/cipher-tool/cipher-tool
N=${1:-1000}
C=${2:-50}
[ -x "$CT" ] || { echo "bench: no $CT: build first" >&2; exit 1; }
TMP=$(mktemp -d)
ETCD=0
trap '[ "$ETCD" = 0 ] || kill "$ETCD" 2>/dev/null; rm -rf "$TMP"' EXIT
read -r CP PP <<<"$(python3 -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])')"
EP=http://127.0.0.1:$CP
etcd --name b --data-dir "$TMP/etcd" --listen-client-urls "$EP" --advertise-client-urls "$EP" \
    --listen-peer-urls "http://127.0.0.1:$PP" --initial-advertise-peer-urls "http://127.0.0.1:$PP" \
    --initial-cluster "b=http://127.0.0.1:$PP" --max-txn-ops $((N + 16)) \
    --max-request-bytes $((64 * 1024 * 1024)) >"$TMP/etcd.log" 2>&1 &
ETCD=$!
for t in $(seq 1 100); do ETCDCTL_API=3 etcdctl --endpoints "$EP" endpoint health >/dev/null 2>&1 && break; sleep 0.1; done

for k in a b; do
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/$k.key" -out "$TMP/$k.crt" -subj "/CN=$k" -days 2 2>/dev/null
done
openssl pkcs12 -export -inkey "$TMP/a.key" -in "$TMP/a.crt" -name a -out "$TMP/a.p12" -passout pass:pw 2>/dev/null
printf 'pw\n' >"$TMP/pw"; chmod 600 "$TMP/pw"
{ echo "[secrets]"; for i in $(seq 1 "$N"); do printf 'secret%d = "[value-%d-%s]"\n' "$i" "$i" "$RANDOM$RANDOM"; done; } >"$TMP/src.toml"
"$CT" seal "$TMP/src.toml" --cert "$TMP/a.crt" --cert "$TMP/b.crt" 2>/dev/null
{ printf '[keystore.primary]\nfile_name = "%s"\n\n' "$TMP/a.p12"; cat "$TMP/src.toml"; } >"$TMP/file.toml"
printf '[keystore.primary]\nfile_name = "%s"\n\n[secret_repository]\ntype = "etcd"\nendpoints = "%s"\nprefix = "/bench/"\ncache = "%s"\n' \
    "$TMP/a.p12" "$EP" "$TMP/cache" >"$TMP/etcd.toml"
for i in $(seq 1 "$N"); do printf 'x=$secret{secret%d}\n' "$i"; done >"$TMP/t.in"

ms() { local s=$EPOCHREALTIME; "$@" >/dev/null 2>&1 || { echo "bench: failed: $*" >&2; exit 1; }; python3 -c "print(round(($EPOCHREALTIME - $s) * 1000))"; }
best() { local b=999999 t; for r in 1 2 3; do t=$(ms "$@"); [ "$t" -lt "$b" ] && b=$t; done; echo "$b"; }

pub=$(best "$CT" publish "$TMP/src.toml" --etcd "$EP" --prefix /bench/)
live=$(best "$CT" render "$TMP/t.in" -c "$TMP/etcd.toml" --password-file "$TMP/pw")
file=$(best "$CT" render "$TMP/t.in" -c "$TMP/file.toml" --password-file "$TMP/pw")
# C concurrent start-ups: each server its own config and (new) cache, all
# started at once; with the default 2 s timeout, then with 60 s.
one() { # ROUND C: one server's start-up in ms, or FAIL
    local s=$EPOCHREALTIME
    if "$CT" render "$TMP/t.in" -c "$TMP/etcd.$1.$2.toml" --password-file "$TMP/pw" >/dev/null 2>/dev/null; then
        python3 -c "print(round(($EPOCHREALTIME - $s) * 1000))" >"$TMP/ms.$1.$2"
    else
        echo FAIL >"$TMP/ms.$1.$2"
    fi
}
concurrent() { # ROUND [TIMEOUT_MS]: "started/C in TOTAL ms, median MED ms, slowest MAX ms"
    local c start total starts=()
    for c in $(seq 1 "$C"); do
        sed "s|$TMP/cache|$TMP/cache.$1.$c|" "$TMP/etcd.toml" >"$TMP/etcd.$1.$c.toml"
        [ -z "${2:-}" ] || printf 'timeout_ms = "%s"\n' "$2" >>"$TMP/etcd.$1.$c.toml"
    done
    start=$EPOCHREALTIME
    for c in $(seq 1 "$C"); do one "$1" "$c" & starts+=($!); done
    wait "${starts[@]}"
    total=$(python3 -c "print(round(($EPOCHREALTIME - $start) * 1000))")
    cat "$TMP"/ms."$1".* | python3 -c '
import sys
v = sorted(int(x) for x in sys.stdin.read().split() if x != "FAIL")
c, t = int(sys.argv[1]), sys.argv[2]
print(f"{len(v)}/{c} started, all done in {t} ms" + (f"; each: median {v[len(v)//2]} ms, slowest {v[-1]} ms" if v else ""))' "$C" "$total"
}
conc_default=$(concurrent d)
conc_long=$(concurrent l 60000)
value_bytes=$(ETCDCTL_API=3 etcdctl --endpoints "$EP" get /bench/secret1 --print-value-only | wc -c)
db=$(ETCDCTL_API=3 etcdctl --endpoints "$EP" endpoint status -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["dbSize"])')
kill "$ETCD"; wait "$ETCD" 2>/dev/null || true; ETCD=0
cached=$(best "$CT" render "$TMP/t.in" -c "$TMP/etcd.toml" --password-file "$TMP/pw")
echo "secrets:                         $N (native, two recipients, RSA-2048)"
echo "sealed value:                    $value_bytes bytes"
echo "publish (one transaction):       $pub ms"
echo "start-up from etcd (render):     $live ms"
echo "start-up from the cache:         $cached ms (etcd down, connection refused)"
echo "start-up from a file:            $file ms"
echo "$C concurrent start-ups, 2 s timeout:  $conc_default"
echo "$C concurrent start-ups, 60 s timeout: $conc_long"
echo "load average:                    $(cut -d' ' -f1-3 /proc/loadavg)"
echo "cache file:                      $(stat -c %s "$TMP/cache") bytes"
echo "etcd database after 3 publishes: $db bytes"
