#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# WSO2-format values (one RSA operation each) are opened on several threads
# when a config has 32 or more: 64 values sealed by the openssl CLI (RSA-OAEP
# with SHA-1, as the Java cipher tool writes them) render to their
# plaintexts on one CPU and on two, a damaged value among them fails with
# its alias named, and nothing is written.
source "$(dirname "$0")/lib.sh"

PW=threads-test
PWF=$(pwfile "$PW")
N=64
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 30 \
    -subj "/CN=threads" 2>/dev/null
openssl pkcs12 -export -inkey "$TMP/key.pem" -in "$TMP/cert.pem" -name wso2carbon \
    -passout "pass:$PW" -out "$TMP/ks.p12"
openssl pkey -in "$TMP/key.pem" -pubout -out "$TMP/pub.pem"

{
    printf '[server]\nhostname = "localhost"\n\n[keystore.primary]\nfile_name = "ks.p12"\nalias = "wso2carbon"\n\n[secrets]\n'
    for i in $(seq "$N"); do
        printf 'password-%03d-%s' "$i" "$(openssl rand -hex 6)" >"$TMP/p$i"
        v=$(openssl pkeyutl -encrypt -pubin -inkey "$TMP/pub.pem" -pkeyopt rsa_padding_mode:oaep \
            -pkeyopt rsa_oaep_md:sha1 -in "$TMP/p$i" | base64 -w0)
        printf 'secret_%d = "%s"\n' "$i" "$v"
    done
} >"$TMP/deployment.toml"
for i in $(seq "$N"); do
    printf 'secret_%d=$secret{secret_%d}\n' "$i" "$i" >>"$TMP/tpl.txt"
    printf 'secret_%d=%s\n' "$i" "$(cat "$TMP/p$i")" >>"$TMP/want.txt"
done

cpus=$(nproc)
for set in 0 "0-$((cpus - 1))"; do
    run 0 taskset -c "$set" "$CT" render "$TMP/tpl.txt" --config "$TMP/deployment.toml" \
        --password-file "$PWF" -o "$TMP/out.txt"
    cmp -s "$TMP/out.txt" "$TMP/want.txt" || fail "CPUs $set: the rendered values are not the plaintexts"
    ok
    rm -f "$TMP/out.txt"
done

# With two CPUs or more, the RSA operations do run on another thread.
if [ "$cpus" -ge 2 ] && command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
    # LeakSanitizer cannot run under ptrace: a sanitized build is traced without it.
    NOLEAK="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    # threads TPL CONFIG: in $nthreads, the threads one render starts,
    # against the baseline of a config of one such value (whatever else the
    # process starts, the RSA workers come on top of it).
    threads() {
        run 0 env ASAN_OPTIONS="$NOLEAK" strace -f -e trace=clone,clone3 -o "$TMP/clone.strace" "$CT" \
            render "$1" --config "$2" --password-file "$PWF"
        nthreads=$(grep -c 'clone' "$TMP/clone.strace" || true)
    }
    head -n 9 "$TMP/deployment.toml" >"$TMP/one.toml" # the 8 lines of tables, 1 value
    head -n 1 "$TMP/tpl.txt" >"$TMP/one-tpl.txt"
    threads "$TMP/one-tpl.txt" "$TMP/one.toml"
    equals "$out" "$(head -n 1 "$TMP/want.txt")"
    base=$nthreads
    threads "$TMP/tpl.txt" "$TMP/deployment.toml"
    equals "$out" "$(cat "$TMP/want.txt")"
    many=$nthreads
    [ "$many" -gt "$base" ] || fail "64 WSO2 values on $cpus CPUs: no thread was started ($many, one value: $base)"
    ok
    rm -f "$TMP/out.txt"
    # Below 32 such values, none is.
    head -n 39 "$TMP/deployment.toml" >"$TMP/few.toml" # the 8 lines of tables, 31 values
    head -n 31 "$TMP/tpl.txt" >"$TMP/few-tpl.txt"
    threads "$TMP/few-tpl.txt" "$TMP/few.toml"
    few=$nthreads
    equals "$out" "$(head -n 31 "$TMP/want.txt")"
    [ "$few" -eq "$base" ] || fail "31 WSO2 values: a thread was started ($few, one value: $base)"
    ok
fi

# One damaged value (another key's block of the same size) among 64: exit 1,
# its alias named, the others not blamed, no output file. (--no-pkcs1: as
# PKCS#1 v1.5 with implicit rejection such a block would open to garbage;
# SECURITY.md.)
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/other.pem" 2>/dev/null
other=$(openssl pkeyutl -encrypt -inkey "$TMP/other.pem" -pkeyopt rsa_padding_mode:oaep \
    -pkeyopt rsa_oaep_md:sha1 -in "$TMP/p40" | base64 -w0)
sed "s|^secret_40 = \".*\"|secret_40 = \"$other\"|" "$TMP/deployment.toml" >"$TMP/bad.toml"
cmp -s "$TMP/bad.toml" "$TMP/deployment.toml" && fail "secret_40 was not replaced"
for set in 0 "0-$((cpus - 1))"; do
    run 1 taskset -c "$set" "$CT" render "$TMP/tpl.txt" --config "$TMP/bad.toml" \
        --password-file "$PWF" --no-pkcs1 -o "$TMP/out.txt"
    contains "$err" '"secret_40"'
    lacks "$err" '"secret_41"'
    [ ! -e "$TMP/out.txt" ] || fail "CPUs $set: an output file was written"
    ok
done

done_tests
