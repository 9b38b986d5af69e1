# SPDX-License-Identifier: Apache-2.0
# One etcd member on loopback for a test script, sourced after lib.sh: free
# ports (CPORT, PPORT, and DEAD where nothing listens), EP, ectl, start_etcd
# DATA_DIR (waits until healthy), stop_etcd, and an EXIT trap that stops etcd
# and the background job in $BG (when set) and removes $TMP.
ETCD=0
BG=0
stop_all() {
    if [ "$BG" != 0 ]; then kill -TERM "$BG" 2>/dev/null || true; wait "$BG" 2>/dev/null || true; fi
    if [ "$ETCD" != 0 ]; then kill "$ETCD" 2>/dev/null || true; wait "$ETCD" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap 'stop_all' EXIT
read -r CPORT PPORT DEAD <<<"$(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')"
EP=http://127.0.0.1:$CPORT
ectl() { ETCDCTL_API=3 etcdctl --endpoints "$EP" --dial-timeout 2s --command-timeout 5s "$@"; }
start_etcd() { # DATA_DIR
    etcd --name m --data-dir "$1" --listen-client-urls "$EP" --advertise-client-urls "$EP" \
        --listen-peer-urls "http://127.0.0.1:$PPORT" --initial-advertise-peer-urls "http://127.0.0.1:$PPORT" \
        --initial-cluster "m=http://127.0.0.1:$PPORT" >>"$TMP/etcd.log" 2>&1 &
    ETCD=$!
    local t
    for t in $(seq 1 100); do ectl endpoint health >/dev/null 2>&1 && return 0; sleep 0.1; done
    cat "$TMP/etcd.log" >&2
    fail "etcd did not start"
}
stop_etcd() { kill "$ETCD"; wait "$ETCD" 2>/dev/null || true; ETCD=0; }
