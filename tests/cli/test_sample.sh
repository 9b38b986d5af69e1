#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# samples/run.sh end to end against a real PostgreSQL: the sample server
# resolves its sealed password at start-up and logs in; with a tampered value
# it refuses to start, naming the alias; no secret reaches the screen.
set -euo pipefail
src=${VAULT_SOURCE:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Install from this build unless it is instrumented (a sanitizer runtime
# cannot be loaded into the uninstrumented sample): then run.sh builds its own.
if [ -n "${VAULT_BUILD:-}" ] && ! grep -q '^VAULT_SANITIZE:BOOL=ON' "$VAULT_BUILD/CMakeCache.txt" 2>/dev/null; then
    export VAULT_DEMO_BUILD=$VAULT_BUILD
fi
export VAULT_DEMO_WORK=$work/demo
mkdir "$VAULT_DEMO_WORK"

set +e
bash "$src/samples/run.sh" </dev/null >"$work/out" 2>&1
status=$?
set -e
fail() { echo "FAIL: $*" >&2; echo "--- run.sh output:" >&2; cat "$work/out" >&2; exit 1; }
[ "$status" = 0 ] || fail "run.sh exited $status"

out=$(cat "$work/out")
has() { case "$out" in *"$1"*) ;; *) fail "output lacks: $1" ;; esac; }
has "sample-server: resolved 1 secret from $VAULT_DEMO_WORK/app/deployment.toml"
has "sample-server: connected as sample: PostgreSQL "
has 'db_password = "vault:v1:'
has 'db_password = "[********************************]"'
has "sample-server: refusing to start: $VAULT_DEMO_WORK/app/tampered.toml: 1 of 1 secrets cannot be opened: \"db_password\""
has "server refused to start (exit 1)"
# The systemd unit's command line, the password from $CREDENTIALS_DIRECTORY.
if [ "$(id -u)" -eq 0 ] && command -v systemd-creds >/dev/null; then
    has "as its systemd unit starts it"
    n=$(grep -c "sample-server: connected as sample" "$work/out")
    [ "$n" = 2 ] || fail "the server logged in $n times, want 2 (password file, then credential)"
    has "CREDENTIALS_DIRECTORY=$VAULT_DEMO_WORK/credentials /usr/local/bin/sample-server /etc/sample-server/deployment.toml"
    [ ! -e "$VAULT_DEMO_WORK/credentials" ] || fail "the credentials directory was left"
    if command -v systemd-analyze >/dev/null; then
        sed "s|^ExecStart=/usr/local/bin/sample-server|ExecStart=/bin/true|" \
            "$src/samples/systemd/sample-server.service" > "$work/sample-server.service"
        systemd-analyze verify "$work/sample-server.service" >"$work/verify" 2>&1 ||
            { cat "$work/verify" >&2; fail "systemd-analyze rejects the unit"; }
    fi
fi

# The secrets run.sh made: never on the screen, and not left in the configs.
db=$(cat "$VAULT_DEMO_WORK/keys/db-password")
ks=$(cat "$VAULT_DEMO_WORK/keys/keystore-password")
[ ${#db} = 32 ] && [ -n "$ks" ] || fail "run.sh did not keep its secrets in keys/"
case "$out" in *"$db"*) fail "the database password was printed" ;; esac
case "$out" in *"$ks"*) fail "the keystore password was printed" ;; esac
if grep -rqF "$db" "$VAULT_DEMO_WORK/app"; then fail "the database password is left in app/"; fi
pgdata=$(printf '%s\n' "$out" | sed -n 's/.*(data in \(.*\)).*/\1/p')
[ -n "$pgdata" ] || fail "no data directory shown"
[ ! -e "$pgdata" ] || fail "the PostgreSQL cluster $pgdata was not removed"
if pgrep -f -- "$pgdata" >/dev/null 2>&1; then fail "PostgreSQL still running"; fi
echo "sample: run.sh passed end to end"
