#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What a value costs in system calls, counted by strace: opening, rendering,
# rewrapping, rotating and sealing 1,000 values may cost only a few system calls more
# than 100 values (the guarded memory is shared, never one region per
# value), and the values still open to the plaintexts they were sealed from.
# Start-up: a process that needs neither maps no libcurl and no OpenSSL
# legacy provider, and reads no openssl.cnf; a legacy PKCS#12 file loads
# the legacy provider when it is met.
source "$(dirname "$0")/lib.sh"
command -v strace >/dev/null || { echo "skipped: strace is not installed (scripts/deps.sh)"; exit 77; }
# LeakSanitizer cannot run under ptrace: a sanitized build is traced without it.
NOLEAK="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
strace -f -o /dev/null true 2>/dev/null || { echo "skipped: strace cannot trace here (ptrace refused)"; exit 77; }

PW=syscall-test
PWF=$(pwfile "$PW")
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 30 \
    -subj "/CN=syscalls" 2>/dev/null
openssl pkcs12 -export -inkey "$TMP/key.pem" -in "$TMP/cert.pem" -name wso2carbon \
    -passout "pass:$PW" -out "$TMP/ks.p12"
openssl pkcs12 -export -legacy -inkey "$TMP/key.pem" -in "$TMP/cert.pem" -name wso2carbon \
    -passout "pass:$PW" -out "$TMP/legacy.p12"

# plain N: N distinct 24-character passwords (the independent record).
plain() {
    awk -v n="$1" 'BEGIN { srand(1501); for (i = 1; i <= n; i++) { p = "";
        for (j = 0; j < 24; j++) p = p sprintf("%c", 97 + int(rand() * 26)); print p } }'
}
# toml PLAINFILE KEYSTORE: a deployment.toml with those passwords as "[plain]" secrets.
toml() {
    printf '[server]\nhostname = "localhost"\n\n[keystore.primary]\nfile_name = "%s"\nalias = "wso2carbon"\n\n[secrets]\n' "$2"
    awk '{ printf "secret_%d = \"[%s]\"\n", NR, $0 }' "$1"
}
# calls FILE: the total number of system calls in an `strace -c` summary.
calls() { awk '$NF == "total" { print ($(NF-1) ~ /^[0-9]+$/ && $(NF-2) ~ /^[0-9]+$/) ? $(NF-2) : $(NF-1) }' "$1"; }

for n in 100 1000; do
    plain "$n" >"$TMP/plain-$n.txt"
    toml "$TMP/plain-$n.txt" ks.p12 >"$TMP/plain-$n.toml"
    awk '{ printf "secret_%d=$secret{secret_%d}\n", NR, NR }' "$TMP/plain-$n.txt" >"$TMP/tpl-$n.txt"
    awk '{ printf "secret_%d=%s\n", NR, $0 }' "$TMP/plain-$n.txt" >"$TMP/want-$n.txt"
    cp "$TMP/plain-$n.toml" "$TMP/nat-$n.toml"
    run 0 "$CT" seal "$TMP/nat-$n.toml" --cert "$TMP/cert.pem"
done

# count TAG N EXPECTED_EXIT CMD...: run CMD under strace -c -f; its total in C[TAG.N].
declare -A C
count() {
    local tag=$1 n=$2 want=$3
    shift 3
    run "$want" env ASAN_OPTIONS="$NOLEAK" strace -f -c -o "$TMP/$tag-$n.strace" "$@"
    C[$tag.$n]=$(calls "$TMP/$tag-$n.strace")
    [[ ${C[$tag.$n]} =~ ^[0-9]+$ ]] || fail "$tag, $n values: no total in the strace summary"
    ok
}

# per_value TAG BOUND: from 100 to 1,000 values, fewer than BOUND calls per added value.
per_value() {
    local tag=$1 bound=$2 d
    d=$((C[$tag.1000] - C[$tag.100]))
    echo "$tag: ${C[$tag.100]} system calls for 100 values, ${C[$tag.1000]} for 1,000 ($d for 900 more)"
    [ "$d" -lt $((900 * bound)) ] ||
        fail "$tag: $d system calls for 900 more values (bound: fewer than $bound per value)"
    ok
}

for n in 100 1000; do
    count check "$n" 0 "$CT" check "$TMP/nat-$n.toml" -k "$TMP/ks.p12" --password-file "$PWF"
    count render "$n" 0 "$CT" render "$TMP/tpl-$n.txt" --config "$TMP/nat-$n.toml" \
        --password-file "$PWF" -o "$TMP/out-$n.txt"
    cmp -s "$TMP/out-$n.txt" "$TMP/want-$n.txt" || fail "render of $n values: not the plaintexts"
    ok
    cp "$TMP/nat-$n.toml" "$TMP/rcp-$n.toml"
    count recipients "$n" 0 "$CT" recipients add "$TMP/rcp-$n.toml" -k "$TMP/ks.p12" \
        --password-file "$PWF" --cert "$TMP/cert.pem"
    cp "$TMP/nat-$n.toml" "$TMP/rot-$n.toml"
    count rotate "$n" 0 "$CT" rotate "$TMP/rot-$n.toml" --from-keystore "$TMP/ks.p12" \
        --from-password-file "$PWF" --cert "$TMP/cert.pem"
    run 0 "$CT" render "$TMP/tpl-$n.txt" --config "$TMP/rot-$n.toml" --password-file "$PWF"
    equals "$out" "$(cat "$TMP/want-$n.txt")"
    cp "$TMP/plain-$n.toml" "$TMP/seal-$n.toml"
    count seal "$n" 0 "$CT" seal "$TMP/seal-$n.toml" -k "$TMP/ks.p12" --password-file "$PWF"
    run 0 "$CT" render "$TMP/tpl-$n.txt" --config "$TMP/seal-$n.toml" --password-file "$PWF"
    equals "$out" "$(cat "$TMP/want-$n.txt")"
done
per_value check 1
per_value render 1
per_value recipients 1
# Sealing draws a fresh nonce per value from the kernel (one getrandom each).
per_value seal 2
per_value rotate 2

# The fast path is still the strict one: one damaged value among 1,000 fails
# check with its alias named, and render opens nothing.
sed 's/^\(secret_500 = "vault:v1:[A-Za-z0-9_-]\{40\}\)\(.\)/\1\2\2/' "$TMP/nat-1000.toml" >"$TMP/bad.toml"
cmp -s "$TMP/bad.toml" "$TMP/nat-1000.toml" && fail "the value of secret_500 was not damaged"
run 1 "$CT" check "$TMP/bad.toml" -k "$TMP/ks.p12" --password-file "$PWF"
contains "$err" '"secret_500"'
run 1 "$CT" render "$TMP/tpl-1000.txt" --config "$TMP/bad.toml" --password-file "$PWF"
equals "$out" ""
contains "$err" '"secret_500"'

# Start-up: what is opened.
opened() { env ASAN_OPTIONS="$NOLEAK" strace -f -e trace=openat,open -o "$TMP/open.strace" "$@" >/dev/null 2>&1; }
opened "$CT" render "$TMP/tpl-100.txt" --config "$TMP/nat-100.toml" --password-file "$PWF" ||
    fail "render under strace failed"
ok
for f in libcurl openssl.cnf legacy.so libxml2; do
    grep -q "$f" "$TMP/open.strace" && fail "render of native values opened $f"
    ok
done
toml "$TMP/plain-100.txt" legacy.p12 >"$TMP/legacy.toml"
run 0 "$CT" seal "$TMP/legacy.toml" --cert "$TMP/cert.pem"
opened "$CT" render "$TMP/tpl-100.txt" --config "$TMP/legacy.toml" --password-file "$PWF" -o "$TMP/legacy.out" ||
    fail "render with a legacy PKCS#12 file failed"
cmp -s "$TMP/legacy.out" "$TMP/want-100.txt" || fail "render with a legacy PKCS#12 file: not the plaintexts"
grep -q 'legacy.so' "$TMP/open.strace" || fail "a legacy PKCS#12 file (RC2) did not load the legacy provider"
ok
grep -q "libcurl" "$TMP/open.strace" && fail "render opened libcurl"
ok

done_tests
