#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The benchmark (bench/) still builds and runs, with 3 secrets: each program
# prints its result lines, and libvault, the floor (direct OpenSSL/libsodium)
# and Java's JCE recover the same plaintexts. No timing is asserted.
source "$(dirname "$0")/lib.sh"
SRC=${VAULT_SOURCE:?}
BLD=${VAULT_BUILD:?}
B=$SRC/bench
PW=bench-smoke
CFLAGS=(-O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion
        -Wstrict-prototypes -Wmissing-prototypes -Werror)

# A sanitized libvault needs its runtime in the program that links it.
SAN=()
grep -q '^VAULT_SANITIZE:BOOL=ON' "$BLD/CMakeCache.txt" 2>/dev/null &&
    SAN=("-fsanitize=address,undefined" -fno-omit-frame-pointer)

run 0 bash -n "$B/run.sh"
run 0 cc "${CFLAGS[@]}" "${SAN[@]}" -I"$SRC/include" "$B/vault_bench.c" -o "$TMP/vault_bench" \
    -L"$BLD/vault" -lvault -Wl,-rpath,"$BLD/vault"
run 0 cc "${CFLAGS[@]}" "$B/vault_floor.c" -o "$TMP/vault_floor" -lcrypto -lsodium
VB=$TMP/vault_bench
VF=$TMP/vault_floor

# One RSA-2048 key as PKCS#12 (openssl) and JKS (keytool), as run.sh makes them.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 30 \
    -subj "/CN=bench-smoke" 2>/dev/null
openssl pkcs12 -export -inkey "$TMP/key.pem" -in "$TMP/cert.pem" -name wso2carbon \
    -passout "pass:$PW" -out "$TMP/ks.p12"
keytool -importkeystore -noprompt -srckeystore "$TMP/ks.p12" -srcstoretype PKCS12 -srcstorepass "$PW" \
    -destkeystore "$TMP/ks.jks" -deststoretype JKS -deststorepass "$PW" -destkeypass "$PW" >/dev/null 2>&1

printf '%s\n' 'first-password' 'second password with spaces' 'third-Ünïcode' >"$TMP/plain.txt"
{
    printf '[server]\nhostname = "localhost"\n\n[secrets]\n'
    awk '{ printf "secret_%d = \"[%s]\"\n", NR, $0 }' "$TMP/plain.txt"
} >"$TMP/plain.toml"
cp "$TMP/plain.toml" "$TMP/nat.toml"
cp "$TMP/plain.toml" "$TMP/wso2.toml"
run 0 "$CT" seal "$TMP/nat.toml" --cert "$TMP/cert.pem"
run 0 "$CT" seal "$TMP/wso2.toml" --cert "$TMP/cert.pem" --format wso2
sed -n 's/^secret_[0-9]* = "\(.*\)"$/\1/p' "$TMP/wso2.toml" >"$TMP/wso2.txt"
equals "$(wc -l <"$TMP/wso2.txt")" "3"

checksum() { grep -o 'checksum=[0-9a-f]*' <<<"$1"; }

# The floor seals the plaintexts itself and opens them: its checksum is the reference.
run 0 "$VF" native --p12 "$TMP/ks.p12" --password "$PW" --plain "$TMP/plain.txt" --runs 2
contains "$out" "floor-native n=3 runs=2 median_us="
want=$(checksum "$out")
[ -n "$want" ] || fail "no checksum: $out"

run 0 "$VB" resolve --config "$TMP/nat.toml" --keystore "$TMP/ks.p12" --password "$PW" --runs 2
contains "$out" "resolve n=3 runs=2 median_us="
contains "$out" "maxrss_kb="
equals "$(checksum "$out")" "$want"

run 0 "$VB" resolve --config "$TMP/nat.toml" --keystore "$TMP/ks.jks" --password "$PW" --runs 1 --lazy
equals "$(checksum "$out")" "$want"

run 0 "$VB" resolve --config "$TMP/wso2.toml" --keystore "$TMP/ks.p12" --password "$PW" \
    --transformation oaep-sha1 --runs 1
equals "$(checksum "$out")" "$want"

run 0 "$VF" wso2 --p12 "$TMP/ks.p12" --password "$PW" --values "$TMP/wso2.txt" --runs 1
contains "$out" "floor-wso2 n=3 runs=1 median_us="
equals "$(checksum "$out")" "$want"

run 0 "$VB" parts --config "$TMP/nat.toml" --keystore "$TMP/ks.p12" --password "$PW" --runs 1
for part in resolve config keystore first_value values secret_new_free secret_hold get; do
    contains "$out" "part name=$part n=3 runs=1 median_us="
done
equals "$(checksum "$out")" "$want"

# A wrong password is a failure, not a result line.
run 1 "$VB" resolve --config "$TMP/nat.toml" --keystore "$TMP/ks.p12" --password wrong --runs 1
lacks "$out" "resolve n="

# vault_floor spawn: the command's own exit status and output, and one
# timing line per run appended to the file (what startup_rounds reads).
run 0 "$VF" spawn "$TMP/spawn.t" "$VF" native --p12 "$TMP/ks.p12" --password "$PW" --plain "$TMP/plain.txt" --runs 1
equals "$(checksum "$out")" "$want"
run 1 "$VF" spawn "$TMP/spawn.t" false
run 3 "$VF" spawn "$TMP/spawn.t" sh -c 'exit 3'
run 127 "$VF" spawn "$TMP/spawn.t" "$TMP/no-such-program"
equals "$(grep -cE '^spawn wall_us=[0-9]+[.][0-9] cpu_us=[0-9]+[.][0-9]$' "$TMP/spawn.t")" "4"
equals "$(wc -l <"$TMP/spawn.t")" "4"
# The child's CPU time is counted: the floor's RSA work is more than `true`'s nothing.
: >"$TMP/cpu.t"
"$VF" spawn "$TMP/cpu.t" true
"$VF" spawn "$TMP/cpu.t" "$VF" wso2 --p12 "$TMP/ks.p12" --password "$PW" --values "$TMP/wso2.txt" --runs 8 >/dev/null
cpu=($(sed 's/.*cpu_us=//' "$TMP/cpu.t"))
awk -v a="${cpu[0]}" -v b="${cpu[1]}" 'BEGIN { exit !(b > a) }' || fail "CPU time not counted: ${cpu[*]}"
ok

# Java: decrypts what cipher-tool sealed, and seals what OpenSSL opens.
run 0 javac -d "$TMP/java" "$B/JavaVault.java"
run 0 java -cp "$TMP/java" JavaVault decrypt "$TMP/ks.jks" "$PW" - "$TMP/wso2.txt" 2
contains "$out" "java-decrypt n=3 cold_us="
contains "$out" "warm_us="
equals "$(checksum "$out")" "$want"
run 0 java -cp "$TMP/java" JavaVault seal "$TMP/ks.jks" "$PW" - "$TMP/plain.txt" "$TMP/java.txt"
contains "$out" "java-seal n=3 in_process_us="
run 0 "$VF" wso2 --p12 "$TMP/ks.p12" --password "$PW" --values "$TMP/java.txt" --runs 1
equals "$(checksum "$out")" "$want"

done_tests
