#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole demo, on a fresh Debian 12 machine (as root, or as a user with the
# packages already installed), with or without a terminal:
#   build and install libvault and cipher-tool into a temporary prefix, make a
#   demo keystore, start a throw-away PostgreSQL on loopback with a role that
#   has a random password, seal that password in the sample server's config,
#   and start the sample server: it resolves the password at start-up and logs
#   in. Then a tampered copy of the config: the server refuses to start.
# Nothing secret is printed; everything is removed at the end.
#
# Environment (optional): VAULT_DEMO_BUILD=DIR installs from an existing build
# directory instead of building; VAULT_DEMO_WORK=DIR works in DIR (an empty
# directory the caller removes) instead of a temporary one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

step() { printf '\n== %s\n' "$*"; }
die() { echo "run.sh: error: $*" >&2; exit 1; }

# ---- packages --------------------------------------------------------------
packages=(build-essential cmake pkg-config openssl libssl-dev libsodium-dev libjansson-dev
          libxml2-dev postgresql libpq-dev util-linux)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]} (run as root, or apt-get install them)"
    step "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin"

# ---- work area, and the clean-up of everything ------------------------------
umask 077
if [ -n "${VAULT_DEMO_WORK:-}" ]; then
    work=$VAULT_DEMO_WORK; keep_work=1
else
    work=$(mktemp -d /tmp/vault-demo.XXXXXX); keep_work=0
fi
# The cluster lives in a directory of its own that the postgres user can reach.
pgroot=$(mktemp -d /tmp/vault-demo-pg.XXXXXX)
pgdata=$pgroot/data
pgrun=$pgroot/run
pg_started=0

# PostgreSQL refuses to run as root: run it as the postgres user when we are root.
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "no postgres user (the postgresql package creates it)"
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

cleanup() {
    local rc=$?
    if [ "$pg_started" = 1 ]; then
        as_pg "$pgbin/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$pgroot"
    if [ "$keep_work" = 0 ]; then rm -rf "$work"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/keys" "$work/app" "$work/server" "$pgrun" "$pgdata"
chmod 711 "$pgroot"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$pgrun" "$pgdata"; fi

# ---- 1. libvault and cipher-tool, installed ---------------------------------
prefix=$work/prefix
if [ -n "${VAULT_DEMO_BUILD:-}" ]; then
    step "1. install libvault and cipher-tool from $VAULT_DEMO_BUILD into a temporary prefix"
    build=$VAULT_DEMO_BUILD
else
    step "1. build libvault and cipher-tool, install them into a temporary prefix"
    build=$work/build
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DVAULT_BUILD_TESTS=OFF >/dev/null
    cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
cmake --install "$build" --prefix "$prefix" >/dev/null
pcdir=$(dirname "$(find "$prefix" -name vault.pc | head -1)")
export PKG_CONFIG_PATH=$pcdir
export PATH=$prefix/bin:$PATH
# A private prefix is not in the loader's path: tell it where libvault is.
export LD_LIBRARY_PATH=$(pkg-config --variable=libdir vault)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
echo "libvault $(pkg-config --modversion vault) in $prefix; $(cipher-tool --version)"

# ---- 2. a demo keystore ------------------------------------------------------
step "2. a demo keystore: PKCS#12, RSA-2048, random store password in a 0600 file"
openssl rand -base64 24 > "$work/keys/keystore-password"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/keys/demo.key" -out "$work/keys/demo.pem" \
    -subj "/CN=vault-sample/O=Demo" -days 30 2>/dev/null
openssl pkcs12 -export -name demo -inkey "$work/keys/demo.key" -in "$work/keys/demo.pem" \
    -out "$work/app/demo.p12" -passout "file:$work/keys/keystore-password"
rm -f "$work/keys/demo.key"
cipher-tool keystore list -k "$work/app/demo.p12" --password-file "$work/keys/keystore-password" |
    grep -E '^(Alias|Kind|Key|Subject):' || true

# ---- 3. a throw-away PostgreSQL ------------------------------------------------
step "3. a throw-away PostgreSQL on 127.0.0.1, role \"sample\" with a random password"
as_pg "$pgbin/initdb" -D "$pgdata" -U postgres -E UTF8 --auth-local=trust --auth-host=scram-sha-256 \
    >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; die "initdb failed"; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    port_free "$port" || continue
    if as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$pgrun/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pgrun" \
        start >/dev/null 2>&1; then
        pg_started=1
        break
    fi
done
[ "$pg_started" = 1 ] || { cat "$pgrun/postgres.log" >&2 2>/dev/null || true; die "PostgreSQL did not start"; }
echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') listening on 127.0.0.1:$port (data in $pgdata)"
openssl rand -hex 16 > "$work/keys/db-password"
# The password reaches psql on its standard input (printf is a shell builtin):
# never on a command line.
db_password=$(<"$work/keys/db-password")
{
    printf "CREATE ROLE sample LOGIN PASSWORD '%s';\n" "$db_password"
    printf 'CREATE DATABASE sample OWNER sample;\n'
} | as_pg "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pgrun" -p "$port" -U postgres -d postgres >/dev/null
echo "role sample created (its password is in a 0600 file, not shown)"

# ---- 4. the sample's configuration ------------------------------------------------
step "4. the sample server's deployment.toml, password in plain text (masked here)"
config=$work/app/deployment.toml
template=$(<"$root/samples/server/deployment.toml")
template=${template//@PORT@/$port}
printf '%s\n' "${template//@DB_PASSWORD@/$db_password}" > "$config"
masked=$(<"$config")
printf '%s\n' "${masked//$db_password/********************************}"

# ---- 5. seal it ------------------------------------------------------------------
step "5. cipher-tool seal, with only the public certificate"
echo "\$ cipher-tool seal deployment.toml --cert demo.pem"
cipher-tool seal "$config" --cert "$work/keys/demo.pem"
if grep -qF "$db_password" "$config"; then die "the password is still in $config"; fi

step "6. the sealed deployment.toml"
cat "$config"

# ---- 7. the server, built against the installed library ------------------------------
step "7. build the sample server against the installed libvault (pkg-config vault libpq)"
cp "$root/samples/server/main.c" "$root/samples/server/Makefile" "$work/server/"
make -s -C "$work/server" >/dev/null
echo "built $work/server/sample-server"

step "8. start the server: it resolves its secrets at start-up and logs in"
echo "\$ sample-server --password-file keystore-password deployment.toml"
"$work/server/sample-server" --password-file "$work/keys/keystore-password" "$config"
echo "server exited 0"

# ---- 9. as systemd starts it ----------------------------------------------------------
# The command line and the credential are samples/systemd/sample-server.service's
# own, its paths mapped to the demo's. No service manager runs here, so this
# does what systemd does for LoadCredentialEncrypted=: systemd-creds decrypts
# the credential into a directory of the service's own, named by
# $CREDENTIALS_DIRECTORY. The keystore password file is not given.
unit=$root/samples/systemd/sample-server.service
if [ "$(id -u)" -eq 0 ] && command -v systemd-creds >/dev/null; then
    step "9. as its systemd unit starts it: the keystore password from LoadCredentialEncrypted="
    exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
    credential=$(sed -n 's/^LoadCredentialEncrypted=\([^:]*\):.*/\1/p' "$unit")
    [ -n "$exec_start" ] && [ "$credential" = keystore-password ] || die "unexpected unit: $unit"
    systemd-creds encrypt --with-key=host --name="$credential" "$work/keys/keystore-password" \
        "$work/keys/$credential.cred" 2>/dev/null
    echo "systemd-creds encrypt --name=$credential: $(wc -c < "$work/keys/$credential.cred") bytes, host key"
    creds=$work/credentials
    mkdir -m 0700 "$creds"
    systemd-creds decrypt --name="$credential" "$work/keys/$credential.cred" "$creds/$credential"
    chmod 0400 "$creds/$credential"
    read -r -a cmdline <<<"$exec_start"
    cmdline[0]=$work/server/sample-server
    [ "${cmdline[1]}" = /etc/sample-server/deployment.toml ] && cmdline[1]=$config
    echo "\$ CREDENTIALS_DIRECTORY=$creds ${exec_start}"
    CREDENTIALS_DIRECTORY=$creds "${cmdline[@]}" </dev/null
    echo "server exited 0"
    rm -rf "$creds"
else
    step "9. (skipped: the systemd credential step needs root and systemd-creds)"
fi

# ---- 10. a tampered value -------------------------------------------------------------
step "10. a tampered copy of the config: the server refuses to start"
tampered=$work/app/tampered.toml
awk '/^db_password = / { i = int(length($0) / 2); c = substr($0, i, 1);
                         $0 = substr($0, 1, i - 1) (c == "A" ? "B" : "A") substr($0, i + 1) } { print }' \
    "$config" > "$tampered"
set +e
"$work/server/sample-server" --password-file "$work/keys/keystore-password" "$tampered"
status=$?
set -e
[ "$status" = 1 ] || die "the server started with a tampered value (exit $status)"
echo "server refused to start (exit 1), as it should"

step "done: stopping PostgreSQL and removing the work area"
