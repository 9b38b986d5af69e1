#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Memory that follows the input, and cost linear in the number of secrets.
# Peak RSS (/usr/bin/time -f %M, the kernel's count) of render, check -k
# and seal on a 50,000-secret deployment.toml: render and check -k hold the
# file once plus a bounded amount per secret (at most the file's size +
# 16 MiB); seal, which writes a file fourteen times the size of what it
# reads, holds the file it writes once (read back for the check; the new
# values go to the temporary file as they are sealed) and, while it reads
# it back, neither the model of the file read nor its text (the check
# keeps a digest of them), so it too stays within the written file's size
# + 16 MiB. Above the file and the process itself (the same command's peak
# at 1,000 secrets), each secret may cost at most: render 120 bytes (the
# runtime's entry, alias, slot and secret; the config's model is dropped
# once read), check -k 108 (the model's 64-byte item, its index), seal 96
# (the run's 32-byte entry, the alias, the plaintext; the new text is
# walked, not modelled). Before these were met: 228, 121 and 383
# bytes. Instructions (callgrind, user space) of render and
# check -k at 500, 2,000 and 8,000 secrets: the cost of an added secret
# may not grow with the size (no hidden quadratic step). Every value still
# opens to the plaintext it was sealed from (the awk record).
source "$(dirname "$0")/lib.sh"
[ -x /usr/bin/time ] || { echo "skipped: /usr/bin/time is not installed (package time, scripts/deps.sh)"; exit 77; }
# A sanitized build maps shadow memory and cannot run under valgrind.
if grep -qa __asan_init "$CT" || grep -qa __asan_init "$(dirname "$CT")/../vault/libvault.so.0" 2>/dev/null; then
    echo "skipped: a sanitized build (its memory and instruction counts are not the program's)"
    exit 77
fi

PW=memory-test
PWF=$(pwfile "$PW")
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 30 \
    -subj "/CN=memory" 2>/dev/null
openssl pkcs12 -export -inkey "$TMP/key.pem" -in "$TMP/cert.pem" -name wso2carbon \
    -passout "pass:$PW" -out "$TMP/ks.p12"

# plain N: N distinct 20-character passwords (the independent record).
plain() {
    awk -v n="$1" 'BEGIN { srand(1515); for (i = 1; i <= n; i++) { p = "";
        for (j = 0; j < 20; j++) p = p sprintf("%c", 97 + int(rand() * 26)); print p } }'
}
toml() {
    printf '[server]\nhostname = "localhost"\n\n[super_admin]\npassword = "$secret{secret_1}"\n\n'
    printf '[keystore.primary]\nfile_name = "ks.p12"\nalias = "wso2carbon"\n\n[secrets]\n'
    awk '{ printf "secret_%d = \"[%s]\"\n", NR, $0 }' "$1"
}
# rss CMD...: peak RSS in KiB; the command must succeed.
rss() {
    /usr/bin/time -o "$TMP/time.out" -f '%M' "$@" >"$TMP/rss.stdout" 2>"$TMP/rss.stderr" ||
        fail "$* exited $?: $(cat "$TMP/rss.stderr")"
    tail -1 "$TMP/time.out"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# within KIB LIMIT_BYTES WHAT: KIB KiB is at most LIMIT_BYTES.
within() {
    [ "$(($1 * 1024))" -le "$2" ] ||
        fail "$3: peak RSS $(mib "$1") MiB, more than $(awk -v b="$2" 'BEGIN { printf "%.1f", b / 1048576 }') MiB"
    ok
}
MIB16=$((16 * 1024 * 1024))
# per_secret WHAT KIB SIZE BASE_KIB BASE_SIZE N MAX: at most MAX bytes a
# secret above the file and the process (the peak at 1,000 secrets less
# that file's size).
per_secret() {
    local b=$(((($2 - $4) * 1024 - ($3 - $5)) / ($6 - 1000)))
    echo "$1: $b bytes a secret above the file and the process (at most $7)"
    [ "$b" -le "$7" ] || fail "$1: $b bytes a secret above the file and the process, more than $7"
    ok
}

N=50000
plain $N >"$TMP/plain.txt"
toml "$TMP/plain.txt" >"$TMP/big.toml"
head -n 1000 "$TMP/plain.txt" >"$TMP/plain-1k.txt"
toml "$TMP/plain-1k.txt" >"$TMP/small.toml"
awk '{ printf "secret_%d=$secret{secret_%d}\n", NR, NR }' "$TMP/plain.txt" >"$TMP/tpl.txt"
awk '{ printf "secret_%d=%s\n", NR, $0 }' "$TMP/plain.txt" >"$TMP/want.txt"
printf 'a=$secret{secret_1}\n' >"$TMP/tpl-one.txt"

# The process itself: the same commands at 1,000 secrets.
seal_base=$(rss "$CT" seal "$TMP/small.toml" --cert "$TMP/cert.pem")
small=$(stat -c %s "$TMP/small.toml")
render_base=$(rss "$CT" render "$TMP/tpl-one.txt" --config "$TMP/small.toml" -k "$TMP/ks.p12" --password-file "$PWF")
check_base=$(rss "$CT" check "$TMP/small.toml" -k "$TMP/ks.p12" --password-file "$PWF")

seal_kib=$(rss "$CT" seal "$TMP/big.toml" --cert "$TMP/cert.pem")
size=$(stat -c %s "$TMP/big.toml")
[ "$size" -gt $((N * 400)) ] || fail "the sealed file is only $size bytes"; ok
grep -q '"\[' "$TMP/big.toml" && fail "a plain value is left in the sealed file"; ok
within "$seal_kib" $((size + MIB16)) "seal of $N secrets"
per_secret "seal" "$seal_kib" "$size" "$seal_base" "$small" $N 96

render_kib=$(rss "$CT" render "$TMP/tpl.txt" --config "$TMP/big.toml" -k "$TMP/ks.p12" --password-file "$PWF")
cmp -s "$TMP/rss.stdout" "$TMP/want.txt" || fail "render: the plaintexts differ from the record"; ok
within "$render_kib" $((size + MIB16)) "render of $N secrets"
# One reference: what the open holds, not the expanded text.
render_kib=$(rss "$CT" render "$TMP/tpl-one.txt" --config "$TMP/big.toml" -k "$TMP/ks.p12" --password-file "$PWF")
[ "$(cat "$TMP/rss.stdout")" = "a=$(head -1 "$TMP/plain.txt")" ] || fail "render of one reference: wrong text"; ok
per_secret "render" "$render_kib" "$size" "$render_base" "$small" $N 120

check_kib=$(rss "$CT" check "$TMP/big.toml" -k "$TMP/ks.p12" --password-file "$PWF")
within "$check_kib" $((size + MIB16)) "check -k of $N secrets"
per_secret "check -k" "$check_kib" "$size" "$check_base" "$small" $N 108
# check must still fail, and say where, when one value of them is damaged.
sed 's/^\(secret_777 = "vault:[^"]\{40\}\)./\1#/' "$TMP/big.toml" >"$TMP/bad.toml"
cmp -s "$TMP/big.toml" "$TMP/bad.toml" && fail "the value was not damaged"; ok
run 1 "$CT" check "$TMP/bad.toml" -k "$TMP/ks.p12" --password-file "$PWF"
contains "$err" "secret_777"
echo "peak RSS for $N secrets ($(mib $((size / 1024))) MiB sealed): seal $(mib "$seal_kib") MiB," \
    "render $(mib "$render_kib") MiB, check -k $(mib "$check_kib") MiB"

# Linear cost: instructions per added secret, callgrind.
if ! command -v valgrind >/dev/null; then
    echo "skipped part: valgrind is not installed (scripts/deps.sh)"
    done_tests
    exit 0
fi
# instr CMD...: the user-space instructions of CMD.
instr() {
    valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" "$@" >"$TMP/cg.stdout" 2>"$TMP/cg.stderr" ||
        fail "$* under callgrind: $(tail -3 "$TMP/cg.stderr")"
    awk '/^(summary|totals):/ { print $2; exit }' "$TMP/cg.out"
}
declare -A I
for n in 500 2000 8000; do
    head -n $n "$TMP/plain.txt" >"$TMP/p-$n.txt"
    toml "$TMP/p-$n.txt" >"$TMP/c-$n.toml"
    run 0 "$CT" seal "$TMP/c-$n.toml" --cert "$TMP/cert.pem"
    I[render.$n]=$(instr "$CT" render "$TMP/tpl-one.txt" --config "$TMP/c-$n.toml" -k "$TMP/ks.p12" --password-file "$PWF")
    I[check.$n]=$(instr "$CT" check "$TMP/c-$n.toml" -k "$TMP/ks.p12" --password-file "$PWF")
done
for kind in render check; do
    a=${I[$kind.500]} b=${I[$kind.2000]} c=${I[$kind.8000]}
    [[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ && $c =~ ^[0-9]+$ ]] || fail "$kind: no instruction counts ($a $b $c)"; ok
    # per added secret, from 500 to 2,000 and from 2,000 to 8,000
    s1=$(((b - a) / 1500)) s2=$(((c - b) / 6000))
    [ "$s1" -gt 0 ] || fail "$kind: no cost per secret ($a $b $c)"; ok
    [ $((s2 * 10)) -le $((s1 * 12)) ] ||
        fail "$kind: $s2 instructions per added secret from 2,000 to 8,000, $s1 from 500 to 2,000 (not linear)"
    ok
    echo "$kind: $s1 then $s2 instructions per added secret"
done
done_tests
