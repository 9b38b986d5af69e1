#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The libvault benchmark, in one run: builds in Release into its own
# directory, makes its inputs in a temporary directory, measures libvault
# against the floor (direct OpenSSL/libsodium calls) and the Java way (JCE),
# and rewrites the tables of docs/PERFORMANCE.md and docs/performance.png.
#
#   bash bench/run.sh
#
# Environment:
#   BENCH_BUILD=DIR   build directory (default: build-bench beside bench/)
#   BENCH_QUICK=1     small sizes only, a minute or so; writes the document and
#                     the plot into the build directory instead of docs/
#   BENCH_NO_INSTALL=1  never call apt-get or npm (missing tools are reported)
#   BENCH_STEPS="floor ours ..."  only these measuring steps (floor ours whole java
#                     seal context startup profile; default all), for working on the script;
#                     only the tables those steps feed are rewritten
#   BENCH_STARTUP_ROUNDS=N  rounds of the start-up targets' cells (default 41)
#   BENCH_KEEP=1      keep the temporary directory (its path is printed)
#   BENCH_REPORT_ONLY=1  measure nothing: rewrite the document and the plot from
#                     the results the last run saved in the build directory
#
# Nothing is pinned: the machine may be shared, so the load average at the
# start and the end is written next to the results.
set -Eeuo pipefail
export LC_ALL=C
trap 'echo "bench: error: line $LINENO: $BASH_COMMAND" >&2' ERR

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD:-$ROOT/build-bench}
QUICK=${BENCH_QUICK:-0}
NO_INSTALL=${BENCH_NO_INSTALL:-0}
START=$EPOCHREALTIME
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vault-bench.XXXXXX")
if [ "${BENCH_KEEP:-0}" = 1 ]; then
    echo "bench: keeping $WORK" >&2
else
    trap 'rm -rf "$WORK"' EXIT
fi
STEPS=" ${BENCH_STEPS:-floor ours whole java seal context startup profile} "
PW=wso2carbon
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
LOAD_END=$LOAD_START
RUN_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')

if [ "$QUICK" = 1 ]; then
    NS=(10 100)
    SEAL_NS=(10 100 1000)
    CTX_NS=(10 100)
    LIMIT_N=0
    BIG_N=0
    DOC=$BUILD/PERFORMANCE.quick.md
    PNG=$BUILD/performance.quick.png
else
    NS=(10 100 1000 10000)
    SEAL_NS=(10 100 1000 10000 100000)
    CTX_NS=(10 100)
    LIMIT_N=20000
    BIG_N=100000 # peak memory of render, check and seal (a ~55 MB deployment.toml)
    DOC=$ROOT/docs/PERFORMANCE.md
    PNG=$ROOT/docs/performance.png
fi
MID=${NS[2]:-${NS[-1]}} # 1,000: where the targets are set
SAVED=$BUILD/bench-last
[ "$QUICK" = 1 ] && SAVED=$BUILD/bench-last-quick
PROFILE_N=$MID

declare -A R      # results: µs, KB, or text
declare -A NOTE   # tools that could not be installed or run
SKIPPED=()        # slow optional cases left out to stay within the time budget
# Past this many seconds the slowest optional cases (Java at the largest N)
# are skipped, so that the whole run stays under 10 minutes on 2 busy cores.
BUDGET=${BENCH_BUDGET:-420}

elapsed() {
    echo $(((${EPOCHREALTIME/./} - ${START/./}) / 1000000))
}

# in_budget WHAT: whether there is still time for a slow optional case.
in_budget() {
    [ "$(elapsed)" -lt "$BUDGET" ] && return 0
    SKIPPED+=("$1")
    log "skipped (time budget): $1"
    return 1
}

log() {
    printf '[%4ds] %s\n' $(((${EPOCHREALTIME/./} - ${START/./}) / 1000000)) "$*" >&2
}

die() {
    echo "bench: error: $*" >&2
    exit 1
}

# ---- tools ------------------------------------------------------------------

APT_UPDATED=0
apt_install() {
    [ "$NO_INSTALL" = 1 ] && return 1
    [ "$(id -u)" -eq 0 ] || return 1
    if [ "$APT_UPDATED" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

have_pkg() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# ensure PACKAGE COMMAND: install the Debian package when the command is missing.
ensure() {
    command -v "$2" >/dev/null 2>&1 && return 0
    log "installing $1"
    apt_install "$1" && command -v "$2" >/dev/null 2>&1
}

install_tools() {
    if [ "$NO_INSTALL" != 1 ] && [ -f "$ROOT/scripts/deps.sh" ]; then
        bash "$ROOT/scripts/deps.sh" || die "scripts/deps.sh failed"
    fi
    for t in cmake cc openssl keytool javac java; do
        command -v "$t" >/dev/null 2>&1 || die "$t is missing (run scripts/deps.sh as root)"
    done
    ensure time /usr/bin/time || die "/usr/bin/time is missing (apt-get install time)"
    ensure gnuplot-nox gnuplot || NOTE[gnuplot]="gnuplot-nox could not be installed: no plot"
    ensure valgrind valgrind || NOTE[valgrind]="valgrind could not be installed: no instruction profile"
    ensure strace strace || NOTE[strace]="strace could not be installed: no system call count"
    ensure age age || NOTE[age]="Debian package age could not be installed"
    ensure ansible-core ansible-vault || NOTE[ansible]="Debian package ansible-core could not be installed"
    if command -v npm >/dev/null 2>&1 || ensure npm npm; then
        if [ "$NO_INSTALL" = 1 ] ||
            ! (cd "$WORK" && mkdir -p npm && npm install --prefix "$WORK/npm" --no-audit --no-fund \
                --loglevel=error @dotenvx/dotenvx >"$WORK/npm.log" 2>&1); then
            NOTE[dotenvx]="npm install @dotenvx/dotenvx failed: $(tail -1 "$WORK/npm.log" 2>/dev/null || true)"
        fi
    else
        NOTE[dotenvx]="npm is not available"
    fi
}

# ---- build ------------------------------------------------------------------

build() {
    if [ -f "$BUILD/CMakeCache.txt" ] &&
        ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$ROOT/bench" "$BUILD/CMakeCache.txt"; then
        rm -rf "$BUILD" # another project's cache: this directory is ours
    fi
    cmake -S "$ROOT/bench" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >"$WORK/cmake.log" 2>&1 ||
        { cat "$WORK/cmake.log" >&2; die "cmake failed"; }
    make -C "$BUILD" -j2 >"$WORK/make.log" 2>&1 || { tail -40 "$WORK/make.log" >&2; die "build failed"; }
    VB=$BUILD/vault_bench
    VF=$BUILD/vault_floor
    CT=$BUILD/vault/cipher-tool/cipher-tool
    mkdir -p "$WORK/java"
    javac -d "$WORK/java" "$ROOT/bench/JavaVault.java" 2>"$WORK/javac.log" ||
        { cat "$WORK/javac.log" >&2; die "javac failed"; }
}

# ---- inputs -----------------------------------------------------------------

make_keystores() {
    local b
    printf '%s\n' "$PW" >"$WORK/pw"
    chmod 600 "$WORK/pw"
    for b in 2048 4096; do
        openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$b" -out "$WORK/key$b.pem" 2>/dev/null
        openssl req -x509 -new -key "$WORK/key$b.pem" -out "$WORK/cert$b.pem" -days 3650 \
            -subj "/CN=bench-$b/O=vault benchmark" 2>/dev/null
        openssl pkcs12 -export -inkey "$WORK/key$b.pem" -in "$WORK/cert$b.pem" -name wso2carbon \
            -passout "pass:$PW" -out "$WORK/ks$b.p12"
        keytool -importkeystore -noprompt -srckeystore "$WORK/ks$b.p12" -srcstoretype PKCS12 \
            -srcstorepass "$PW" -destkeystore "$WORK/ks$b.jks" -deststoretype JKS \
            -deststorepass "$PW" -destkeypass "$PW" >/dev/null 2>&1
    done
    # PKCS#12 as Java 17's keytool writes it (10,000 PBKDF2 iterations, not 2,048).
    keytool -importkeystore -noprompt -srckeystore "$WORK/ks2048.jks" -srcstoretype JKS \
        -srcstorepass "$PW" -destkeystore "$WORK/kt2048.p12" -deststoretype PKCS12 \
        -deststorepass "$PW" >/dev/null 2>&1
}

# plain N: N random 20-character passwords, one per line (fixed seed).
make_plain() {
    awk -v n="$1" 'BEGIN { srand(20240601); cs = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        for (i = 1; i <= n; i++) { p = ""; for (j = 0; j < 20; j++) p = p substr(cs, int(rand() * 62) + 1, 1); print p } }'
}

# toml PLAINFILE [FIRST]: a deployment.toml with those passwords as "[plain]" secrets.
make_toml() {
    cat <<'EOF'
[server]
hostname = "localhost"
offset = 0

[super_admin]
username = "admin"
password = "$secret{secret_1}"

[keystore.primary]
file_name = "wso2carbon.jks"
alias = "wso2carbon"

[secrets]
EOF
    awk -v first="${2:-1}" '{ printf "secret_%d = \"[%s]\"\n", NR + first - 1, $0 }' "$1"
}

values_of() {
    sed -n 's/^secret_[0-9]* = "\(.*\)"$/\1/p' "$1"
}

make_inputs() {
    local n b all=("${NS[@]}" "${SEAL_NS[@]}")
    for n in $(printf '%s\n' "${all[@]}" | sort -nu); do
        make_plain "$n" >"$WORK/plain-$n.txt"
        make_toml "$WORK/plain-$n.txt" >"$WORK/plain-$n.toml"
    done
    for n in "${NS[@]}"; do
        for b in 2048 4096; do
            cp "$WORK/plain-$n.toml" "$WORK/nat-$b-$n.toml"
            "$CT" seal "$WORK/nat-$b-$n.toml" --cert "$WORK/cert$b.pem" 2>/dev/null
            [ "$b" = 4096 ] && [ "$n" -gt 1000 ] && continue
            cp "$WORK/plain-$n.toml" "$WORK/wso2-$b-$n.toml"
            "$CT" seal "$WORK/wso2-$b-$n.toml" --cert "$WORK/cert$b.pem" --format wso2 \
                --transformation RSA/ECB/OAEPwithSHA1andMGF1Padding 2>/dev/null
            values_of "$WORK/wso2-$b-$n.toml" >"$WORK/wso2-$b-$n.txt"
        done
    done
    if [ "$LIMIT_N" -gt 0 ]; then
        # Two sealing sessions: `seal` itself cannot hold more than ~16,000 plaintexts.
        make_plain "$LIMIT_N" >"$WORK/plain-limit.txt"
        head -n $((LIMIT_N / 2)) "$WORK/plain-limit.txt" >"$WORK/limit-a.txt"
        tail -n +$((LIMIT_N / 2 + 1)) "$WORK/plain-limit.txt" >"$WORK/limit-b.txt"
        make_toml "$WORK/limit-a.txt" >"$WORK/nat-limit.toml"
        "$CT" seal "$WORK/nat-limit.toml" --cert "$WORK/cert2048.pem" 2>/dev/null
        awk -v first=$((LIMIT_N / 2 + 1)) '{ printf "secret_%d = \"[%s]\"\n", NR + first - 1, $0 }' \
            "$WORK/limit-b.txt" >>"$WORK/nat-limit.toml"
        "$CT" seal "$WORK/nat-limit.toml" --cert "$WORK/cert2048.pem" 2>/dev/null
    fi
}

# ---- measuring --------------------------------------------------------------

median() {
    printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-";
        else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# field NAME FILE: the median of NAME=value over the lines of FILE.
field() {
    local vals
    vals=$(grep -o "\b$1=[^ ]*" "$2" | cut -d= -f2 | grep -v nan || true)
    [ -n "$vals" ] || { echo -; return; }
    # shellcheck disable=SC2086
    median $vals
}

# fieldstr NAME FILE: the first value of NAME.
fieldstr() {
    grep -o "\b$1=[^ ]*" "$2" | sed -n 1p | cut -d= -f2
}

# whole RUNS TAG CMD...: wall-clock µs of the whole process (median of RUNS);
# every run's stdout is appended to $WORK/out/TAG.out. Prints FAIL when one fails.
whole() {
    local runs=$1 tag=$2 i t0 t1 s=()
    shift 2
    mkdir -p "$WORK/out"
    : >"$WORK/out/$tag.out"
    for ((i = 0; i < runs; i++)); do
        t0=$EPOCHREALTIME
        if ! "$@" >>"$WORK/out/$tag.out" 2>"$WORK/out/$tag.err" </dev/null; then
            echo FAIL
            return 0
        fi
        t1=$EPOCHREALTIME
        s+=($((${t1/./} - ${t0/./})))
    done
    median "${s[@]}"
}

# rss TAG CMD...: peak resident set (KB) of one run, from /usr/bin/time.
rss() {
    local tag=$1
    shift
    if /usr/bin/time -f '%M' -o "$WORK/out/$tag.rss" "$@" >"$WORK/out/$tag.rss.out" 2>"$WORK/out/$tag.rss.err" </dev/null; then
        tail -1 "$WORK/out/$tag.rss"
    else
        echo FAIL
    fi
}

# Checksums: every program must recover the same plaintexts.
CHECK_FAIL=()
check_sum() { # check_sum N FILE WHAT
    local want=${R[sum.$1]:-} got
    got=$(fieldstr checksum "$2")
    [ -n "$want" ] && [ "$got" = "$want" ] || CHECK_FAIL+=("$3 (N=$1): checksum ${got:-none}, floor ${want:-none}")
}

# runs_for N SLOWNESS: how many runs make a median without blowing the budget.
runs_for() {
    local n=$1 slow=$2 # slow: 0 cheap per value, 1 one RSA operation per value, 2 the same with RSA-4096
    case "$slow:$n" in
    0:10 | 0:100) echo 9 ;; # cheap: more runs against a busy machine
    0:10000) echo 9 ;; # cheap now: the medians feed the linearity verdict
    1:1000 | 2:100) echo 3 ;;
    1:10000 | 2:1000) echo 1 ;;
    *) echo 5 ;;
    esac
}

measure_floor() {
    local n b out
    log "floor: native and WSO2, direct OpenSSL/libsodium"
    for b in 2048 4096; do
        for n in "${NS[@]}"; do
            out=$WORK/out/floor-nat-$b-$n.out
            mkdir -p "$WORK/out"
            "$VF" native --p12 "$WORK/ks$b.p12" --password "$PW" --plain "$WORK/plain-$n.txt" --runs 5 >"$out"
            R[floor.nat.$b.$n]=$(field median_us "$out")
            [ "$b" = 2048 ] && R[sum.$n]=$(fieldstr checksum "$out")
            [ -f "$WORK/wso2-$b-$n.txt" ] || continue
            out=$WORK/out/floor-wso2-$b-$n.out
            "$VF" wso2 --p12 "$WORK/ks$b.p12" --password "$PW" --values "$WORK/wso2-$b-$n.txt" \
                --runs "$(runs_for "$n" $((b == 2048 ? 1 : 2)))" >"$out"
            R[floor.wso2.$b.$n]=$(field median_us "$out")
            check_sum "$n" "$out" "floor wso2 $b"
        done
    done
    "$VF" native --p12 "$WORK/kt2048.p12" --password "$PW" --plain "$WORK/plain-$MID.txt" \
        --runs 5 >"$WORK/out/floor-kt.out"
    R[floor.nat.kt2048.$MID]=$(field median_us "$WORK/out/floor-kt.out")
}

# ours KIND KS TRANSFORMATION N RUNS
ours() {
    local kind=$1 ks=$2 tr=$3 n=$4 runs=$5 b out
    b=$(echo "$ks" | sed 's/^k[st]\([0-9]*\)\..*/\1/')
    out=$WORK/out/res-$kind-$ks-$n.out
    if "$VB" resolve --config "$WORK/$kind-$b-$n.toml" --keystore "$WORK/$ks" --password "$PW" \
        --transformation "$tr" --runs "$runs" >"$out" 2>"$out.err"; then
        R[res.$kind.$ks.$n]=$(field median_us "$out")
        check_sum "$n" "$out" "libvault $kind $ks"
    else
        R[res.$kind.$ks.$n]=FAIL
    fi
}

measure_ours() {
    local n ks runs
    log "libvault: start-up resolution in process"
    for n in "${NS[@]}"; do
        for ks in ks2048.p12 ks2048.jks ks4096.p12 ks4096.jks; do
            runs=$(runs_for "$n" 0)
            [ "${ks:2:4}" = 4096 ] && [ "$n" -gt 1000 ] && runs=1
            ours nat "$ks" default "$n" "$runs"
        done
        ours wso2 ks2048.p12 oaep-sha1 "$n" "$(runs_for "$n" 1)"
        [ "$n" -le 1000 ] && ours wso2 ks4096.p12 oaep-sha1 "$n" "$(runs_for "$n" 2)"
    done
    ours wso2 ks2048.jks oaep-sha1 "$MID" 3
    ours nat kt2048.p12 default "$MID" 5
    log "libvault: where the time goes (parts, N=$PROFILE_N)"
    "$VB" parts --config "$WORK/nat-2048-$PROFILE_N.toml" --keystore "$WORK/ks2048.p12" --password "$PW" \
        --runs 3 >"$WORK/out/parts.out"
}

measure_java() {
    local n b runs tag
    log "Java: JKS + JCE OAEP-SHA1, whole process and in process"
    for b in 2048 4096; do
        for n in "${NS[@]}"; do
            [ "$b" = 4096 ] && [ "$n" -gt 1000 ] && continue
            if { [ "$b" = 2048 ] && [ "$n" -gt 1000 ]; } || { [ "$b" = 4096 ] && [ "$n" -ge 1000 ]; }; then
                in_budget "Java RSA-$b, N = $n" || continue
            fi
            runs=$(runs_for "$n" $((b == 2048 ? 1 : 2)))
            [ "$runs" = 5 ] && [ "$n" -ge 100 ] && runs=3
            tag=java-$b-$n
            R[java.whole.$b.$n]=$(whole "$runs" "$tag" /usr/bin/time -f '%M' -o "$WORK/out/$tag.rss" \
                java -cp "$WORK/java" JavaVault decrypt "$WORK/ks$b.jks" "$PW" - "$WORK/wso2-$b-$n.txt" 1)
            R[java.cold.$b.$n]=$(field cold_us "$WORK/out/$tag.out")
            R[java.rss.$b.$n]=$(tail -1 "$WORK/out/$tag.rss" 2>/dev/null || echo -)
            check_sum "$n" "$WORK/out/$tag.out" "Java $b"
        done
    done
    # Warm JIT: several passes in one JVM (for the record, not what a start-up pays).
    n=$MID
    java -cp "$WORK/java" JavaVault decrypt "$WORK/ks2048.jks" "$PW" - "$WORK/wso2-2048-$n.txt" 3 \
        >"$WORK/out/java-warm.out"
    R[java.warm.2048.$n]=$(field warm_us "$WORK/out/java-warm.out")
}

measure_whole() {
    local n ks runs
    log "libvault: whole process, peak memory, cipher-tool check"
    R[anat.true]=$(whole 9 anat-true /bin/true)
    R[anat.noop]=$(whole 9 anat-noop "$VB" noop)
    R[anat.init]=$(whole 9 anat-init "$VB" init)
    for n in "${NS[@]}"; do
        runs=$(runs_for "$n" 0)
        for ks in ks2048.jks ks4096.jks ks2048.p12; do
            [ "${ks:2:4}" = 4096 ] && [ "$n" -gt 1000 ] && continue
            R[whole.nat.$ks.$n]=$(whole "$runs" "whole-$ks-$n" "$VB" resolve --config "$WORK/nat-${ks:2:4}-$n.toml" \
                --keystore "$WORK/$ks" --password "$PW" --runs 1)
            # The same processes timed from inside: the cold first resolution.
            R[cold.nat.$ks.$n]=$(field first_us "$WORK/out/whole-$ks-$n.out")
        done
        R[whole.floor.$n]=$(whole "$runs" "whole-floor-$n" "$VF" native --p12 "$WORK/ks2048.p12" --password "$PW" \
            --plain "$WORK/plain-$n.txt" --runs 1)
        R[rss.nat.$n]=$(rss "rss-$n" "$VB" resolve --config "$WORK/nat-2048-$n.toml" --keystore "$WORK/ks2048.p12" \
            --password "$PW" --runs 1)
        R[rss.floor.$n]=$(rss "rss-floor-$n" "$VF" native --p12 "$WORK/ks2048.p12" --password "$PW" \
            --plain "$WORK/plain-$n.txt" --runs 1)
        R[check.$n]=$(whole "$runs" "check-$n" "$CT" check "$WORK/nat-2048-$n.toml" -k "$WORK/ks2048.p12" \
            --password-file "$WORK/pw")
    done
    if [ "$LIMIT_N" -gt 0 ]; then
        if "$VB" resolve --config "$WORK/nat-limit.toml" --keystore "$WORK/ks2048.p12" --password "$PW" \
            --runs 9 >"$WORK/out/limit.out" 2>"$WORK/out/limit.err"; then
            R[limit.us]=$(field median_us "$WORK/out/limit.out")
            R[limit]="opens ($(ms "${R[limit.us]}") ms)"
        else
            R[limit]="fails: $(sed -n '1s/.*: \([0-9]* of [0-9]* secrets cannot be opened\): \([^;]*\).*/\1, the first: \2/p' "$WORK/out/limit.err" | tr '|' ' ')"
        fi
    fi
}

# seal_run MODE N: one cipher-tool seal of a fresh copy, whole process, µs.
seal_once() {
    local mode=$1 n=$2 f=$WORK/seal-$1-$2.toml t0 t1 rc=0
    cp "$WORK/plain-$n.toml" "$f"
    t0=$EPOCHREALTIME
    case "$mode" in
    cert) "$CT" seal "$f" --cert "$WORK/cert2048.pem" >/dev/null 2>"$f.err" || rc=1 ;;
    k) "$CT" seal "$f" -k "$WORK/ks2048.p12" --password-file "$WORK/pw" >/dev/null 2>"$f.err" || rc=1 ;;
    wso2) "$CT" seal "$f" --cert "$WORK/cert2048.pem" --format wso2 >/dev/null 2>"$f.err" || rc=1 ;;
    esac
    t1=$EPOCHREALTIME
    [ "$rc" = 0 ] || { echo FAIL; return; }
    echo $((${t1/./} - ${t0/./}))
}

measure_seal() {
    local n mode i runs s v
    log "sealing: cipher-tool seal and Java"
    for n in "${SEAL_NS[@]}"; do
        runs=5
        [ "$n" -ge 10000 ] && runs=3
        [ "$n" -ge 100000 ] && runs=1
        for mode in cert k wso2; do
            s=()
            for ((i = 0; i < runs; i++)); do
                v=$(seal_once "$mode" "$n")
                [ "$v" = FAIL ] && { s=(FAIL); break; }
                s+=("$v")
            done
            if [ "${s[0]}" = FAIL ]; then
                R[seal.$mode.$n]="FAIL"
                R[seal.err.$mode.$n]=$(head -c 200 "$WORK/seal-$mode-$n.toml.err" | tr '\n|' '  ')
            else
                R[seal.$mode.$n]=$(median "${s[@]}")
            fi
        done
        # The JVM is slow enough for fewer runs.
        runs=3
        [ "$n" -ge 10000 ] && runs=1
        [ "$n" -ge 100000 ] && ! in_budget "Java sealing, N = $n" && continue
        R[java.seal.$n]=$(whole "$runs" "java-seal-$n" java -cp "$WORK/java" JavaVault seal "$WORK/ks2048.jks" \
            "$PW" - "$WORK/plain-$n.txt" "$WORK/java-seal-$n.txt")
        R[java.seal.in.$n]=$(field in_process_us "$WORK/out/java-seal-$n.out")
    done
}

# ---- tools users compare with -------------------------------------------------

measure_context() {
    local n d
    log "context: age, ansible-vault, dotenvx"
    for n in "${CTX_NS[@]}"; do
        make_plain "$n" >"$WORK/ctx-$n.txt"
        R[ctx.ours.$n]=$(whole 5 "ctx-ours-$n" "$VB" resolve --config "$WORK/nat-2048-$n.toml" \
            --keystore "$WORK/ks2048.jks" --password "$PW" --runs 1 2>/dev/null || echo -)
    done
    if [ -z "${NOTE[age]:-}" ]; then
        R[ctx.age.version]=$(age --version 2>/dev/null)
        for n in "${CTX_NS[@]}"; do
            d=$WORK/age-$n
            mkdir -p "$d"
            age-keygen -o "$d/id" 2>/dev/null
            local recipient
            recipient=$(age-keygen -y "$d/id")
            awk -v d="$d" '{ printf "%s", $0 > (d "/p" NR) }' "$WORK/ctx-$n.txt"
            for ((i = 1; i <= n; i++)); do age -r "$recipient" -o "$d/v$i.age" "$d/p$i"; done
            rm -f "$d"/p*
            printf '%s\n' "#!/usr/bin/env bash" "for ((i = 1; i <= $n; i++)); do age -d -i '$d/id' '$d/v'\$i.age; echo; done" >"$d/run"
            R[ctx.age.$n]=$(whole 3 "age-$n" bash "$d/run")
            cmp -s <(head -n "$n" "$WORK/out/age-$n.out") "$WORK/ctx-$n.txt" || CHECK_FAIL+=("age (N=$n): wrong plaintexts")
        done
    fi
    if [ -z "${NOTE[ansible]:-}" ]; then
        # Ansible refuses a locale that is not UTF-8.
        local av=(env LC_ALL=C.UTF-8 ANSIBLE_LOCAL_TEMP="$WORK/ansible-tmp" ANSIBLE_HOME="$WORK/ansible-home" PAGER=cat ansible-vault)
        R[ctx.ansible.version]=$("${av[@]}" --version 2>/dev/null | sed -n '1s/^ansible-vault \[core \(.*\)\]/\1/p')
        printf 'vault-benchmark-password\n' >"$WORK/ansible-pw"
        for n in "${CTX_NS[@]}"; do
            d=$WORK/ansible-$n
            mkdir -p "$d"
            awk -v d="$d" '{ print > (d "/v" NR ".yml") }' "$WORK/ctx-$n.txt"
            (cd "$d" && "${av[@]}" encrypt --vault-password-file "$WORK/ansible-pw" $(seq -f 'v%g.yml' 1 "$n") >/dev/null 2>&1)
            R[ctx.ansible.$n]=$(cd "$d" && whole 3 "ansible-$n" "${av[@]}" view --vault-password-file "$WORK/ansible-pw" \
                $(seq -f 'v%g.yml' 1 "$n"))
            cmp -s <(head -n "$n" "$WORK/out/ansible-$n.out") "$WORK/ctx-$n.txt" || CHECK_FAIL+=("ansible-vault (N=$n): wrong plaintexts")
        done
    fi
    if [ -z "${NOTE[dotenvx]:-}" ]; then
        local dx=$WORK/npm/node_modules/.bin/dotenvx
        R[ctx.dotenvx.version]=$("$dx" --version 2>/dev/null)
        for n in "${CTX_NS[@]}"; do
            d=$WORK/dotenvx-$n
            mkdir -p "$d"
            awk '{ printf "SECRET_%d=%s\n", NR, $0 }' "$WORK/ctx-$n.txt" >"$d/.env"
            (cd "$d" && "$dx" encrypt -f .env >/dev/null 2>&1)
            R[ctx.dotenvx.$n]=$(cd "$d" && whole 3 "dotenvx-$n" "$dx" get -f .env --format shell)
            tr ' ' '\n' <"$WORK/out/dotenvx-$n.out" | grep -c '^SECRET_' >"$WORK/out/dotenvx-$n.count" || true
            grep -q "$(tail -1 "$WORK/ctx-$n.txt")" "$WORK/out/dotenvx-$n.out" || CHECK_FAIL+=("dotenvx (N=$n): wrong plaintexts")
        done
    fi
}

# ---- cipher-tool start-up, the physical limit, memory at scale -----------------

# startup_cmd KIND N: the cipher-tool command line of KIND on nat-2048-N.toml.
startup_cmd() {
    case "$1" in
    render) echo "$CT" render "$WORK/tpl-one.txt" --config "$2" -k "$WORK/ks2048.p12" --password-file "$WORK/pw" ;;
    check) echo "$CT" check "$2" -k "$WORK/ks2048.p12" --password-file "$WORK/pw" ;;
    esac
}

# Rounds of the start-up targets' cells: one run of each per round, in
# turn, so that every cell sees the same load; medians over the rounds.
STARTUP_ROUNDS=${BENCH_STARTUP_ROUNDS:-41}

# spawned TAG CMD...: one run of CMD through `vault_floor spawn`, which
# appends its wall-clock and CPU time to $WORK/out/TAG.t; its stdout goes
# to TAG.out (one run's).
spawned() {
    local tag=$1
    shift
    "$VF" spawn "$WORK/out/$tag.t" "$@" >"$WORK/out/$tag.out" 2>"$WORK/out/$tag.err" </dev/null ||
        echo "spawn FAIL" >>"$WORK/out/$tag.t"
}

# startup_rounds: /bin/true, cipher-tool --version, render of 10 and of MID
# native values, age decrypting one file of MID lines, and vault_floor cold
# (one cold RSA-2048 private-key operation, then MID AEAD opens, timed
# inside its process), STARTUP_ROUNDS times; wall-clock and CPU time each.
startup_rounds() {
    local i k d=$WORK/age-one ok=1
    local -a kinds=(true version render10 renderN floorcold)
    if [ -z "${NOTE[age]:-}" ]; then
        mkdir -p "$d"
        age-keygen -o "$d/id" 2>/dev/null
        age -r "$(age-keygen -y "$d/id")" -o "$d/all.age" "$WORK/plain-$MID.txt"
        kinds+=(age)
    fi
    for k in "${kinds[@]}"; do : >"$WORK/out/sr-$k.t"; done
    : >"$WORK/out/cold.out"
    for ((i = 0; i < STARTUP_ROUNDS; i++)); do
        for k in "${kinds[@]}"; do
            case $k in
            true) spawned sr-true /bin/true ;;
            version) spawned sr-version "$CT" --version ;;
            # shellcheck disable=SC2046
            render10) spawned sr-render10 $(startup_cmd render "$WORK/nat-2048-10.toml") ;;
            # shellcheck disable=SC2046
            renderN) spawned sr-renderN $(startup_cmd render "$WORK/nat-2048-$MID.toml") ;;
            age) spawned sr-age age -d -i "$d/id" "$d/all.age" ;;
            floorcold) spawned sr-floorcold "$VF" cold --p12 "$WORK/ks2048.p12" --password "$PW" \
                --values "$WORK/wso2-2048-$MID.txt" ;;
            esac
            [ "$k" = floorcold ] && cat "$WORK/out/sr-floorcold.out" >>"$WORK/out/cold.out"
            [ "$k" = age ] && ! cmp -s "$WORK/out/sr-age.out" "$WORK/plain-$MID.txt" && ok=0
        done
    done
    [ "$ok" = 1 ] || CHECK_FAIL+=("age one file (N=$MID): wrong plaintexts")
    for k in "${kinds[@]}"; do
        if grep -q FAIL "$WORK/out/sr-$k.t"; then
            R[sr.$k]=FAIL
            R[sr.cpu.$k]=FAIL
        else
            R[sr.$k]=$(field wall_us "$WORK/out/sr-$k.t")
            R[sr.cpu.$k]=$(field cpu_us "$WORK/out/sr-$k.t")
        fi
    done
    R[sr.rounds]=$STARTUP_ROUNDS
    R[su.rsa]=$(field rsa_us "$WORK/out/cold.out")
    R[su.aead]=$(field aead_us "$WORK/out/cold.out")
    R[su.true]=${R[sr.true]}
    R[su.version]=${R[sr.version]}
    [ -n "${R[sr.age]:-}" ] && R[su.age.$MID]=${R[sr.age]}
    true
}

measure_startup() {
    local n runs i kind f out
    log "start-up: the targets' cells in $STARTUP_ROUNDS interleaved rounds; render and check -k side by side; WSO2 threads"
    printf 'a=$secret{secret_1}\n' >"$WORK/tpl-one.txt"
    startup_rounds
    for n in "${NS[@]}"; do
        runs=31 # small and cheap: enough runs for a stable median
        [ "$n" -gt 1000 ] && runs=$(runs_for "$n" 0)
        R[su.runs.$n]=$runs
        # Interleaved, so that both see the same load.
        for kind in render check; do : >"$WORK/out/su-$kind-$n.us"; done
        for ((i = 0; i < runs; i++)); do
            for kind in render check; do
                # shellcheck disable=SC2046
                whole 1 "su-$kind-$n" $(startup_cmd "$kind" "$WORK/nat-2048-$n.toml") >>"$WORK/out/su-$kind-$n.us"
            done
        done
        for kind in render check; do
            if grep -q FAIL "$WORK/out/su-$kind-$n.us"; then
                R[su.$kind.$n]=FAIL
            else
                # shellcheck disable=SC2046
                R[su.$kind.$n]=$(median $(cat "$WORK/out/su-$kind-$n.us"))
            fi
        done
        # shellcheck disable=SC2046
        R[su.rss.render.$n]=$(rss "su-rss-render-$n" $(startup_cmd render "$WORK/nat-2048-$n.toml"))
    done
    # Peak memory at MID secrets of the other two commands (the target: under 8 MiB).
    # shellcheck disable=SC2046
    R[su.rss.check.$MID]=$(rss "su-rss-check-$MID" $(startup_cmd check "$WORK/nat-2048-$MID.toml"))
    cp "$WORK/plain-$MID.toml" "$WORK/su-seal-$MID.toml"
    R[su.rss.seal.$MID]=$(rss "su-rss-seal-$MID" "$CT" seal "$WORK/su-seal-$MID.toml" --cert "$WORK/cert2048.pem")
    # WSO2-format values, one RSA operation each: 1 CPU against 2, interleaved.
    if command -v taskset >/dev/null; then
        for i in 1 2; do : >"$WORK/out/su-wso2-$i.us"; done
        for ((runs = 0; runs < 3; runs++)); do
            for i in 1 2; do
                # shellcheck disable=SC2046
                whole 1 "su-wso2-$i" taskset -c "0-$((i - 1))" \
                    $(startup_cmd render "$WORK/wso2-2048-$MID.toml") >>"$WORK/out/su-wso2-$i.us"
            done
        done
        for i in 1 2; do
            # shellcheck disable=SC2046
            grep -q FAIL "$WORK/out/su-wso2-$i.us" && R[su.wso2.$i]=FAIL || R[su.wso2.$i]=$(median $(cat "$WORK/out/su-wso2-$i.us"))
        done
    fi
    # Peak memory at BIG_N secrets: render, check -k, seal.
    if [ "$BIG_N" -gt 0 ] && [ -f "$WORK/plain-$BIG_N.toml" ]; then
        f=$WORK/big.toml
        cp "$WORK/plain-$BIG_N.toml" "$f"
        if "$CT" seal "$f" --cert "$WORK/cert2048.pem" >/dev/null 2>"$WORK/out/big-seal.err"; then
            R[big.size]=$(stat -c %s "$f")
            R[big.plain.size]=$(stat -c %s "$WORK/plain-$BIG_N.toml")
            for kind in render check; do
                # shellcheck disable=SC2046
                out=$(/usr/bin/time -f '%M %e' $(startup_cmd "$kind" "$f") 2>&1 >/dev/null | tail -1) || out="FAIL FAIL"
                R[big.rss.$kind]=${out% *}
                R[big.t.$kind]=${out#* }
            done
            cp "$WORK/plain-$BIG_N.toml" "$WORK/big-seal.toml"
            out=$(/usr/bin/time -f '%M %e' "$CT" seal "$WORK/big-seal.toml" --cert "$WORK/cert2048.pem" 2>&1 >/dev/null |
                tail -1) || out="FAIL FAIL"
            R[big.rss.seal]=${out% *}
            R[big.t.seal]=${out#* }
        else
            R[big.rss.render]=FAIL
        fi
    fi
}

# ---- profile ------------------------------------------------------------------

# ir FILE FUNCTION: inclusive instruction count of FUNCTION in a callgrind_annotate output.
ir() {
    awk -v f="$2" '$0 ~ (":" f " \\[") { gsub(",", "", $1); print $1; exit }' "$1"
}

profile() {
    local args=(resolve --config "$WORK/nat-2048-$PROFILE_N.toml" --keystore "$WORK/ks2048.p12" --password "$PW" --runs 1)
    log "profile: callgrind, strace, perf (N=$PROFILE_N)"
    if [ -z "${NOTE[valgrind]:-}" ]; then
        valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.ours" "$VB" "${args[@]}" >/dev/null 2>&1 &&
            callgrind_annotate --inclusive=yes --threshold=100 "$WORK/cg.ours" >"$WORK/cg.ours.txt" 2>/dev/null ||
            NOTE[valgrind]="callgrind failed"
        valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.floor" "$VF" native --p12 "$WORK/ks2048.p12" \
            --password "$PW" --plain "$WORK/plain-$PROFILE_N.txt" --runs 1 >/dev/null 2>&1 &&
            callgrind_annotate --inclusive=yes --threshold=100 "$WORK/cg.floor" >"$WORK/cg.floor.txt" 2>/dev/null ||
            NOTE[valgrind]="callgrind failed"
    fi
    if [ -z "${NOTE[strace]:-}" ]; then
        strace -c -f -o "$WORK/strace.txt" "$VB" "${args[@]}" >/dev/null 2>&1 || NOTE[strace]="strace failed"
    fi
    if command -v perf >/dev/null 2>&1 &&
        perf record -q -e cpu-clock -F 4999 -g -o "$WORK/perf.data" "$VB" "${args[@]:0:7}" --runs 3 \
            >/dev/null 2>&1; then
        perf report -i "$WORK/perf.data" --stdio --no-children --sort dso 2>/dev/null >"$WORK/perf.dso.txt" || true
        perf report -i "$WORK/perf.data" --stdio --no-children --sort sym -g none 2>/dev/null >"$WORK/perf.sym.txt" || true
    else
        NOTE[perf]="perf record -e cpu-clock does not work here"
    fi
}

# ---- report -------------------------------------------------------------------

num() { [[ "${1:-}" =~ ^[0-9.]+$ ]]; }

ms() { # µs -> ms text
    num "${1:-}" || { echo "${1:--}" | sed 's/^FAIL$/fails/'; return; }
    awk -v u="$1" 'BEGIN { m = u / 1000; if (m < 10) printf "%.2f", m; else if (m < 100) printf "%.1f", m; else printf "%.0f", m }'
}

ratio() { # a / b
    num "${1:-}" && num "${2:-}" || { echo -; return; }
    awk -v a="$1" -v b="$2" 'BEGIN { r = a / b; if (r < 10) printf "%.2f", r; else printf "%.0f", r }'
}

per_value() { # (t(n2) - t(n1)) / (n2 - n1), µs; "~0" when noise makes it negative
    num "${1:-}" && num "${2:-}" || { echo -; return; }
    awk -v a="$1" -v b="$2" -v n1="$3" -v n2="$4" 'BEGIN { v = (b - a) / (n2 - n1)
        if (v < 0) print "~0"; else if (v < 10) printf "%.2f", v; else printf "%.0f", v }'
}

mib() {
    num "${1:-}" || { echo "${1:--}"; return; }
    awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'
}

status() { # status VALUE OK-CONDITION-AWK-EXPR (on v)
    num "${1:-}" || { echo "not measured"; return; }
    awk -v v="$1" "BEGIN { exit !($2) }" && echo "**met**" || echo "**missed**"
}

pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }'; }

section() { # section NAME: the file that replaces the block between the NAME markers
    echo "$WORK/tables/$1.md"
}

table_machine() {
    local f
    f=$(section machine)
    {
        echo "| | |"
        echo "|---|---|"
        echo "| date | $RUN_DATE |"
        echo "| machine | $(lscpu | sed -n 's/^Model name: *//p' | sed -n 1p), $(nproc) cores, $(free -g | awk '/^Mem/ { print $2 }') GiB, Linux $(uname -r) |"
        echo "| load average (1, 5, 15 min) | at start $LOAD_START; at end $LOAD_END (shared machine, nothing pinned) |"
        echo "| libvault | $("$CT" --version 2>/dev/null | awk '{ print $2 }') (Release, gcc $(gcc -dumpfullversion 2>/dev/null)) |"
        echo "| OpenSSL | $(openssl version | awk '{ print $2 }') |"
        echo "| libsodium | $(pkg-config --modversion libsodium 2>/dev/null) |"
        echo "| Java | $(java -version 2>&1 | sed -n 1p | sed 's/"//g') |"
        echo "| age / ansible-vault / dotenvx | ${R[ctx.age.version]:-not installed} / ${R[ctx.ansible.version]:-not installed} / ${R[ctx.dotenvx.version]:-not installed} |"
        echo "| run time of bench/run.sh | $(((${EPOCHREALTIME/./} - ${START/./}) / 1000000)) s$([ "$QUICK" = 1 ] && echo " (BENCH_QUICK)") |"
        for k in "${!NOTE[@]}"; do echo "| note | ${NOTE[$k]} |"; done
        for k in "${SKIPPED[@]}"; do echo "| skipped to stay under 10 minutes | $k |"; done
        for k in "${CHECK_FAIL[@]}"; do echo "| **checksum mismatch** | $k |"; done
        if [ ${#CHECK_FAIL[@]} = 0 ]; then
            echo "| plaintexts | every program (libvault, the floor, Java, each tool) recovered the same plaintexts (checksums agree) |"
        fi
    } >"$f"
}

table_targets() {
    local f n=1000 big=10000 r1 r2 r3 s1 slope1 slope2 sslope1 sslope2 lim
    f=$(section targets)
    [ "$QUICK" = 1 ] && { n=100; big=100; }
    r1=$(ratio "${R[res.nat.ks2048.p12.$n]:-}" "${R[floor.nat.2048.$n]:-}")
    r2=$(ratio "${R[java.whole.2048.$n]:-}" "${R[whole.nat.ks2048.jks.$n]:-}")
    r3=$(ratio "${R[java.cold.2048.$n]:-}" "${R[cold.nat.ks2048.jks.$n]:-}")
    # Linear: the cost of an added secret does not grow with N. Judged where
    # the secrets outweigh the fixed costs and the noise (1,000 to 10,000 to
    # 20,000 for resolution, 1,000 to 10,000 to 100,000 for seal); a
    # quadratic step would double the second slope.
    slope1=$(per_value "${R[res.nat.ks2048.p12.1000]:-}" "${R[res.nat.ks2048.p12.10000]:-}" 1000 10000)
    slope2=$(per_value "${R[res.nat.ks2048.p12.10000]:-}" "${R[limit.us]:-}" 10000 "$LIMIT_N")
    sslope1=$(per_value "${R[seal.cert.1000]:-}" "${R[seal.cert.10000]:-}" 1000 10000)
    sslope2=$(per_value "${R[seal.cert.10000]:-}" "${R[seal.cert.100000]:-}" 10000 100000)
    lim=${R[limit]:-not probed}
    {
        echo "| target (SPEC §9) | measured | |"
        echo "|---|---|---|"
        echo "| native resolution of $n secrets ≤ 1.5× the floor (PKCS#12, RSA-2048) | $(ms "${R[res.nat.ks2048.p12.$n]:-}") ms vs $(ms "${R[floor.nat.2048.$n]:-}") ms: **${r1}×** | $(status "$r1" "v <= 1.5") |"
        echo "| ≥ 200× faster than Java, whole process vs whole process ($n secrets, JKS, RSA-2048) | Java $(ms "${R[java.whole.2048.$n]:-}") ms vs $(ms "${R[whole.nat.ks2048.jks.$n]:-}") ms: **${r2}×** | $(status "$r2" "v >= 200") |"
        echo "| ≥ 50× faster than Java in process (first pass in a fresh JVM vs first resolution in a fresh process) | Java $(ms "${R[java.cold.2048.$n]:-}") ms vs $(ms "${R[cold.nat.ks2048.jks.$n]:-}") ms: **${r3}×** | $(status "$r3" "v >= 50") |"
        echo "| \`seal\` of 1,000 values well under a second (≤ 0.5 s) | \`--cert\` $(ms "${R[seal.cert.1000]:-}") ms, \`-k\` (re-opens every value) $(ms "${R[seal.k.1000]:-}") ms | $(status "${R[seal.k.1000]:-}" "v <= 500000") |"
        echo "| peak RSS < 16 MiB for $big secrets | $(mib "${R[rss.nat.$big]:-}") MiB (floor: $(mib "${R[rss.floor.$big]:-}") MiB) | $(status "${R[rss.nat.$big]:-}" "v < 16384") |"
        s1="**missed**"
        num "$slope1" && num "$slope2" && num "$sslope1" && num "$sslope2" || s1="not measured"
        if num "$slope1" && num "$slope2" && num "$sslope1" && num "$sslope2" &&
            awk -v a="$slope1" -v b="$slope2" -v c="$sslope1" -v d="$sslope2" \
                'BEGIN { exit !(b <= 1.5 * a && d <= 1.5 * c) }'; then
            s1="**met**"
            case "$lim" in fails*) s1="**missed** (a wall, not a slope)" ;; esac
        fi
        echo "| time linear in N | resolution: ${slope1} µs per added secret from 1,000 to 10,000, ${slope2} µs from 10,000 to ${LIMIT_N} (${LIMIT_N} secrets: $lim); \`seal --cert\`: ${sslope1} µs per added value from 1,000 to 10,000, ${sslope2} µs from 10,000 to 100,000 | $s1 |"
    } >"$f"
}

table_resolution() {
    local f n
    f=$(section resolution)
    {
        echo "Native values (one sealing session), in process, ms; median of 9 runs (5 at 1,000; 1 for RSA-4096 at 10,000); the floor: median of 5:"
        echo
        echo "| N | libvault PKCS#12 | floor | **ratio** | libvault JKS | per added secret, µs (libvault / floor) | libvault PKCS#12 4096 | floor 4096 | **ratio** | libvault JKS 4096 |"
        echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        local prev=""
        for n in "${NS[@]}"; do
            local slope="-"
            [ -n "$prev" ] && slope="$(per_value "${R[res.nat.ks2048.p12.$prev]:-}" "${R[res.nat.ks2048.p12.$n]:-}" "$prev" "$n") / $(per_value "${R[floor.nat.2048.$prev]:-}" "${R[floor.nat.2048.$n]:-}" "$prev" "$n")"
            prev=$n
            echo "| $n | $(ms "${R[res.nat.ks2048.p12.$n]:-}") | $(ms "${R[floor.nat.2048.$n]:-}") | $(ratio "${R[res.nat.ks2048.p12.$n]:-}" "${R[floor.nat.2048.$n]:-}")× | $(ms "${R[res.nat.ks2048.jks.$n]:-}") | $slope | $(ms "${R[res.nat.ks4096.p12.$n]:-}") | $(ms "${R[floor.nat.4096.$n]:-}") | $(ratio "${R[res.nat.ks4096.p12.$n]:-}" "${R[floor.nat.4096.$n]:-}")× | $(ms "${R[res.nat.ks4096.jks.$n]:-}") |"
        done
        n=$MID
        echo
        echo "PKCS#12 written by Java 17's keytool (PBKDF2 with 10,000 iterations instead of OpenSSL's 2,048), N = $n: libvault $(ms "${R[res.nat.kt2048.p12.$n]:-}") ms, floor $(ms "${R[floor.nat.kt2048.$n]:-}") ms (ratio $(ratio "${R[res.nat.kt2048.p12.$n]:-}" "${R[floor.nat.kt2048.$n]:-}")×)."
    } >"$f"
    f=$(section resolution_wso2)
    {
        echo "WSO2 values (RSA/ECB/OAEPwithSHA1andMGF1Padding, one RSA operation each), in process, ms; median of 5 runs, fewer for the slow cases (1 at 10,000 and for RSA-4096 at 1,000). Java reads the same values with the JKS:"
        echo
        echo "| N | libvault RSA-2048 | floor | **ratio** | Java (cold, in process) | libvault RSA-4096 | floor 4096 | **ratio** | Java 4096 (cold, in process) |"
        echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        for n in "${NS[@]}"; do
            echo "| $n | $(ms "${R[res.wso2.ks2048.p12.$n]:-}") | $(ms "${R[floor.wso2.2048.$n]:-}") | $(ratio "${R[res.wso2.ks2048.p12.$n]:-}" "${R[floor.wso2.2048.$n]:-}")× | $(ms "${R[java.cold.2048.$n]:-}") | $(ms "${R[res.wso2.ks4096.p12.$n]:-}") | $(ms "${R[floor.wso2.4096.$n]:-}") | $(ratio "${R[res.wso2.ks4096.p12.$n]:-}" "${R[floor.wso2.4096.$n]:-}")× | $(ms "${R[java.cold.4096.$n]:-}") |"
        done
        n=$MID
        echo
        echo "Same keystore type as Java (JKS, RSA-2048), N = $n, WSO2 values: libvault $(ms "${R[res.wso2.ks2048.jks.$n]:-}") ms, Java cold $(ms "${R[java.cold.2048.$n]:-}") ms, Java with a warm JIT (median of 2 further passes in the same JVM) $(ms "${R[java.warm.2048.$n]:-}") ms."
    } >"$f"
}

table_java() {
    local f n b
    f=$(section java)
    {
        echo "What a process costs before any secret (whole process, ms, median of 9): \`/bin/true\` $(ms "${R[anat.true]:-}"); a program linked with libvault (libcrypto, libsodium, jansson; libxml2 and libcurl are loaded only on their first use) that exits at once $(ms "${R[anat.noop]:-}"); the same after \`vault_init()\` (OpenSSL's default provider, no openssl.cnf; the legacy provider only when a keystore needs it) $(ms "${R[anat.init]:-}")."
        echo
        echo "Native values, RSA-2048, whole process (ms, median of 9 up to N = 100, 5 at 1,000, 3 at 10,000). The floor's process includes its set-up: one more \`PKCS12_parse\` (for the certificate) and sealing the N values it then opens:"
        echo
        echo "| N | floor (PKCS#12) | libvault PKCS#12 | **ratio** | libvault JKS | libvault JKS, cold resolution timed inside the process |"
        echo "|---:|---:|---:|---:|---:|---:|"
        for n in "${NS[@]}"; do
            echo "| $n | $(ms "${R[whole.floor.$n]:-}") | $(ms "${R[whole.nat.ks2048.p12.$n]:-}") | $(ratio "${R[whole.nat.ks2048.p12.$n]:-}" "${R[whole.floor.$n]:-}")× | $(ms "${R[whole.nat.ks2048.jks.$n]:-}") | $(ms "${R[cold.nat.ks2048.jks.$n]:-}") |"
        done
        echo
        echo "Java: JKS + JCE, WSO2 values (one RSA operation each); libvault: the same keystore (JKS), native values. Times in ms (whole process: the shell's clock around the process; in process: Java's first pass in a fresh JVM, libvault's first resolution in a fresh process; median of 5, 3 or 1 runs):"
        echo
        echo "| key | N | Java whole process | libvault whole process | **ratio** | Java in process (cold) | libvault in process (cold) | **ratio** | Java peak RSS (MiB) |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        for b in 2048 4096; do
            for n in "${NS[@]}"; do
                num "${R[java.whole.$b.$n]:-}" || continue
                echo "| JKS RSA-$b | $n | $(ms "${R[java.whole.$b.$n]:-}") | $(ms "${R[whole.nat.ks$b.jks.$n]:-}") | $(ratio "${R[java.whole.$b.$n]:-}" "${R[whole.nat.ks$b.jks.$n]:-}")× | $(ms "${R[java.cold.$b.$n]:-}") | $(ms "${R[cold.nat.ks$b.jks.$n]:-}") | $(ratio "${R[java.cold.$b.$n]:-}" "${R[cold.nat.ks$b.jks.$n]:-}")× | $(mib "${R[java.rss.$b.$n]:-}") |"
            done
        done
    } >"$f"
}

table_seal() {
    local f n
    f=$(section seal)
    {
        echo "Whole process, ms (median of 5 runs; 3 at 10,000; 1 at 100,000; Java: 3 runs, 1 from 10,000 on). \`--cert\` seals with the certificate only (CI); \`-k\` also opens every new value with the private key before replacing the file; Java seals each value with one JCE RSA-OAEP-SHA1 operation:"
        echo
        echo "| N | \`seal --cert\` | \`seal -k\` | \`seal --format wso2\` | per value, \`--cert\` (µs) | Java whole process | Java in process |"
        echo "|---:|---:|---:|---:|---:|---:|---:|"
        for n in "${SEAL_NS[@]}"; do
            echo "| $n | $(ms "${R[seal.cert.$n]:-}") | $(ms "${R[seal.k.$n]:-}") | $(ms "${R[seal.wso2.$n]:-}") | $(per_value 0 "${R[seal.cert.$n]:-}" 0 "$n") | $(ms "${R[java.seal.$n]:-}") | $(ms "${R[java.seal.in.$n]:-}") |"
        done
        for n in "${SEAL_NS[@]}"; do
            for m in cert k wso2; do
                [ -n "${R[seal.err.$m.$n]:-}" ] && echo && echo "\`seal\` ($m) of $n values failed: \`${R[seal.err.$m.$n]}\`" && break
            done
        done
        true
    } >"$f"
}

table_memory() {
    local f n
    f=$(section memory)
    {
        echo "Peak RSS of one resolution (native, PKCS#12 RSA-2048, \`/usr/bin/time -f %M\`) and the whole-process time of \`cipher-tool check -k\` on the same file:"
        echo
        echo "| N | libvault peak RSS (MiB) | floor peak RSS (MiB) | \`cipher-tool check -k\` (ms) |"
        echo "|---:|---:|---:|---:|"
        for n in "${NS[@]}"; do
            echo "| $n | $(mib "${R[rss.nat.$n]:-}") | $(mib "${R[rss.floor.$n]:-}") | $(ms "${R[check.$n]:-}") |"
        done
        [ "$LIMIT_N" -gt 0 ] && echo && echo "$LIMIT_N secrets (two sealing sessions): ${R[limit]:-not measured}"
        true
    } >"$f"
}

# verdict MEASURED BOUND UNIT: "**met** (…under)" or "**missed** by …": a
# measured quantity against the bound a target sets (lower is better).
verdict() {
    num "${1:-}" && num "${2:-}" || { echo "not measured"; return; }
    awk -v m="$1" -v b="$2" -v u="${3:-}" 'BEGIN {
        d = m - b; p = b > 0 ? 100 * d / b : 0
        if (u == "ms") { d /= 1000; fmt = "%.2f ms" } else if (u == "MiB") fmt = "%.1f MiB"; else fmt = "%.2f" u
        if (d <= 0) printf "**met** (" fmt ", %.0f%% under the bound)", -d, -p
        else printf "**missed** by " fmt " (%.0f%% over the bound)", d, p }'
}

# slope_us T1 T2 N1 N2: µs per added item, plain number or empty.
slope_us() {
    num "${1:-}" && num "${2:-}" && [ "$3" != "$4" ] || return 0
    awk -v a="$1" -v b="$2" -v n1="$3" -v n2="$4" 'BEGIN { printf "%.3f", (b - a) / (n2 - n1) }'
}

table_startup() {
    local f n true_us limit tN t10 bound r c kind base over s1 s2 rounds=${R[sr.rounds]:-?} m
    local cpu_limit cN c10
    f=$(section startup)
    true_us=${R[su.true]:-}
    limit=$(awk -v a="$true_us" -v b="${R[su.rsa]:-}" -v c="${R[su.aead]:-}" \
        'BEGIN { if (a > 0 && b > 0 && c > 0) printf "%.0f", a + b + c; else print "-" }')
    cpu_limit=$(awk -v a="${R[sr.cpu.true]:-}" -v b="${R[su.rsa]:-}" -v c="${R[su.aead]:-}" \
        'BEGIN { if (a > 0 && b > 0 && c > 0) printf "%.0f", a + b + c; else print "-" }')
    tN=${R[sr.renderN]:-}
    t10=${R[sr.render10]:-}
    cN=${R[sr.cpu.renderN]:-}
    c10=${R[sr.cpu.render10]:-}
    {
        echo "**The start-up targets**, from $rounds rounds in which each of these ran once, in turn (so that all saw the same load); medians over the rounds of whole processes started by \`vault_floor spawn\`, which takes the wall-clock time from fork to exit and the CPU time (user + system) from \`wait4\`: \`/bin/true\`, \`cipher-tool --version\`, \`render\` of 10 and of $MID native values (RSA-2048 PKCS#12 written by \`openssl pkcs12 -export\`), age decrypting one file of $MID lines, and \`vault_floor cold\` (a fresh process that loads the key, then times inside itself one RSA-2048 private-key operation, the first of the process, and $MID XChaCha20-Poly1305 opens). The targets are set in wall-clock time; on a busy machine waiting for a CPU inflates it (more for a longer process), so each verdict is also given on CPU time."
        echo
        echo "| | wall (ms) | CPU (ms) |"
        echo "|---|---:|---:|"
        echo "| process start (\`/bin/true\`) | $(ms "$true_us") | $(ms "${R[sr.cpu.true]:-}") |"
        echo "| \`cipher-tool --version\` (dynamic linking, no work) | $(ms "${R[su.version]:-}") | $(ms "${R[sr.cpu.version]:-}") |"
        echo "| one cold RSA-2048 private-key operation (\`vault_floor cold\`, timed inside the process) | $(ms "${R[su.rsa]:-}") | |"
        echo "| $MID XChaCha20-Poly1305 opens (\`vault_floor cold\`, timed inside the process) | $(ms "${R[su.aead]:-}") | |"
        echo "| **the physical limit**: process start + cold RSA operation + AEAD opens | **$(ms "$limit")** | **$(ms "$cpu_limit")** |"
        echo "| age decrypting one file of $MID lines | $(ms "${R[sr.age]:-${NOTE[age]:-not measured}}") | $(ms "${R[sr.cpu.age]:-}") |"
        echo "| \`render\` of 10 secrets | $(ms "$t10") | $(ms "$c10") |"
        echo "| \`render\` of $MID secrets | $(ms "$tN") | $(ms "$cN") |"
        echo
        echo "| target | measured | bound | verdict | on CPU time |"
        echo "|---|---|---|---|---|"
        if num "${R[sr.age]:-}"; then
            echo "| \`render\` of $MID secrets ≤ age decrypting one file of $MID lines | $(ms "$tN") ms ($(ratio "$tN" "${R[sr.age]}")× age) | $(ms "${R[sr.age]}") ms | $(verdict "$tN" "${R[sr.age]}" ms) | $(ms "$cN") ms vs $(ms "${R[sr.cpu.age]:-}") ms: $(verdict "$cN" "${R[sr.cpu.age]:-}" ms) |"
        else
            echo "| \`render\` of $MID secrets ≤ age's one-file decrypt | - | age ${NOTE[age]:-not measured} | not measured | |"
        fi
        bound=$(awk -v l="$limit" 'BEGIN { if (l > 0) printf "%.0f", 1.5 * l; else print "-" }')
        m=$(awk -v l="$cpu_limit" 'BEGIN { if (l > 0) printf "%.0f", 1.5 * l; else print "-" }')
        echo "| \`render\` of $MID secrets within 1.5× the physical limit | $(ms "$tN") ms ($(ratio "$tN" "$limit")× the limit) | $(ms "$bound") ms | $(verdict "$tN" "$bound" ms) | $(ms "$cN") ms vs $(ms "$m") ms: $(verdict "$cN" "$m" ms) |"
        bound=$(awk -v t="$true_us" -v r="${R[su.rsa]:-}" 'BEGIN { if (t > 0 && r > 0) printf "%.0f", 2 * (t + r); else print "-" }')
        m=$(awk -v t="${R[sr.cpu.true]:-}" -v r="${R[su.rsa]:-}" 'BEGIN { if (t > 0 && r > 0) printf "%.0f", 2 * (t + r); else print "-" }')
        echo "| \`render\` of 10 secrets within 2× process start + one cold RSA operation | $(ms "$t10") ms ($(ratio "$t10" "$(awk -v b="$bound" 'BEGIN { if (b > 0) print b / 2 }')")× start + RSA) | $(ms "$bound") ms | $(verdict "$t10" "$bound" ms) | $(ms "$c10") ms vs $(ms "$m") ms: $(verdict "$c10" "$m" ms) |"
        r=$(slope_us "${R[su.render.$MID]:-}" "${R[su.render.${NS[-1]}]:-}" "$MID" "${NS[-1]}")
        c=$(slope_us "${R[su.check.$MID]:-}" "${R[su.check.${NS[-1]}]:-}" "$MID" "${NS[-1]}")
        bound=$(awk -v r="$r" 'BEGIN { if (r != "") printf "%.3f", 1.5 * r }')
        echo "| \`check -k\` per secret ≤ 1.5× \`render\`'s ($MID to ${NS[-1]}) | ${c:--} µs (\`render\`: ${r:--} µs) | ${bound:--} µs | $(verdict "$c" "$bound" " µs") | |"
        for kind in render check seal; do
            echo "| peak RSS of \`$kind\` at $MID secrets under 8 MiB | $(mib "${R[su.rss.$kind.$MID]:-}") MiB | 8 MiB | $(verdict "$(awk -v k="${R[su.rss.$kind.$MID]:-}" 'BEGIN { if (k > 0) printf "%.2f", k / 1024 }')" 8 MiB) | |"
        done
        if [ "$BIG_N" -gt 0 ] && num "${R[big.size]:-}"; then
            for kind in render check seal; do
                base=${R[big.size]}
                [ "$kind" = seal ] && base=${R[big.plain.size]:-$base}
                over=$(awk -v m="${R[big.rss.$kind]:-}" -v s="$base" 'BEGIN { if (m > 0 && s > 0) printf "%.2f", (m * 1024 - s) / 1048576 }')
                echo "| peak RSS of \`$kind\` at $BIG_N secrets ≤ config size + 16 MiB | $(mib "${R[big.rss.$kind]:-}") MiB for a $(awk -v s="$base" 'BEGIN { printf "%.1f", s / 1048576 }') MiB file (+${over:--} MiB), ${R[big.t.$kind]:-?} s | +16 MiB | $(verdict "$over" 16 MiB) | |"
            done
            for kind in render check; do
                s1=$(slope_us "${R[su.$kind.$MID]:-}" "${R[su.$kind.${NS[-1]}]:-}" "$MID" "${NS[-1]}")
                s2=$(slope_us "${R[su.$kind.${NS[-1]}]:-}" "$(awk -v s="${R[big.t.$kind]:-}" 'BEGIN { if (s > 0) printf "%.0f", s * 1e6 }')" "${NS[-1]}" "$BIG_N")
                bound=$(awk -v a="$s1" 'BEGIN { if (a != "") printf "%.3f", 1.5 * a }')
                echo "| \`$kind\` cost linear from $MID to $BIG_N: µs per added secret from ${NS[-1]} to $BIG_N ≤ 1.5× that from $MID to ${NS[-1]} | ${s2:--} µs (${s1:--} µs before) | ${bound:--} µs | $(verdict "$s2" "$bound" " µs") | |"
            done
        fi
        if num "${R[su.wso2.1]:-}" && num "${R[su.wso2.2]:-}"; then
            local per1 per2 java=${R[java.cold.2048.$MID]:-}
            per1=$(awk -v t="${R[su.wso2.1]}" -v n="$MID" 'BEGIN { printf "%.0f", t / n }')
            per2=$(awk -v t="${R[su.wso2.2]}" -v n="$MID" 'BEGIN { printf "%.0f", t / n }')
            echo "| WSO2-format values spread over the CPUs (≥ 32 values): speed-up of 2 CPUs over 1, reported | $MID values, \`render\`: 1 CPU $(ms "${R[su.wso2.1]}") ms ($per1 µs per value), 2 CPUs $(ms "${R[su.wso2.2]}") ms ($per2 µs per value): **$(ratio "${R[su.wso2.1]}" "${R[su.wso2.2]}")×**$(num "$java" && echo "; Java (cold, in process) $(ms "$java") ms: $(ratio "$java" "${R[su.wso2.2]}")× slower than 2 CPUs") | - | reported (no bound; 2× at most on 2 cores) | |"
        fi
        echo
        echo "Whole process, ms (medians; \`render\` and \`check -k\` interleaved, ${R[su.runs.10]:-?} runs up to N = $MID, ${R[su.runs.${NS[-1]}]:-?} at ${NS[-1]}). \`render\` resolves every value of the config and writes a one-line template; \`check -k\` opens every value through the public opener API:"
        echo
        echo "| N | \`render\` | \`check -k\` | per value, \`render\` (µs, slope) | per value, \`check -k\` (µs, slope) | **check/render per value** | \`render\` peak RSS (MiB) |"
        echo "|---:|---:|---:|---:|---:|---:|---:|"
        local prev="" local_ratio
        for n in "${NS[@]}"; do
            r="-" c="-" local_ratio="-"
            if [ -n "$prev" ]; then
                r=$(per_value "${R[su.render.$prev]:-}" "${R[su.render.$n]:-}" "$prev" "$n")
                c=$(per_value "${R[su.check.$prev]:-}" "${R[su.check.$n]:-}" "$prev" "$n")
                local_ratio=$(awk -v a="$c" -v b="$r" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f×", a / b; else print "-" }')
            fi
            echo "| $n | $(ms "${R[su.render.$n]:-}") | $(ms "${R[su.check.$n]:-}") | $r | $c | $local_ratio | $(mib "${R[su.rss.render.$n]:-}") |"
            prev=$n
        done
        true
    } >"$f"
}

table_context() {
    local f n1=${CTX_NS[0]} n2=${CTX_NS[1]} t
    f=$(section context)
    {
        echo "Whole process (or, for age, the whole shell loop), ms, median of 3 runs (5 for libvault); the slope is (t($n2) − t($n1)) / $((n2 - n1)):"
        echo
        echo "| tool | how values are held | N = $n1 (ms) | N = $n2 (ms) | per value (µs, slope) |"
        echo "|---|---|---:|---:|---:|"
        echo "| libvault $("$CT" --version | awk '{ print $2 }') | one deployment.toml; one RSA-2048 unwrap, then XChaCha20-Poly1305 per value; one process (\`vault_bench resolve\`, JKS) | $(ms "${R[ctx.ours.$n1]:-}") | $(ms "${R[ctx.ours.$n2]:-}") | $(per_value "${R[ctx.ours.$n1]:-}" "${R[ctx.ours.$n2]:-}" "$n1" "$n2") |"
        for t in age ansible dotenvx; do
            local what name
            case $t in
            age) name="age ${R[ctx.age.version]:-}"; what="one .age file per value (X25519), one \`age -d\` process each" ;;
            ansible) name="ansible-vault (ansible-core ${R[ctx.ansible.version]:-})"; what="one vault file per value (PBKDF2-SHA256 10,000 + AES-256-CTR), one \`ansible-vault view\` for all" ;;
            dotenvx) name="dotenvx ${R[ctx.dotenvx.version]:-}"; what="one .env (ECIES secp256k1 per value), one \`dotenvx get\` for all" ;;
            esac
            if [ -n "${NOTE[$t]:-}" ]; then
                echo "| $t | ${NOTE[$t]} | - | - | - |"
            else
                echo "| $name | $what | $(ms "${R[ctx.$t.$n1]:-}") | $(ms "${R[ctx.$t.$n2]:-}") | $(per_value "${R[ctx.$t.$n1]:-}" "${R[ctx.$t.$n2]:-}" "$n1" "$n2") |"
            fi
        done
    } >"$f"
}

table_profile() {
    local f p=$WORK/out/parts.out total o fl sys k
    f=$(section profile)
    {
        [ -f "$p" ] || : >"$p"
        total=$(awk '/name=resolve / { sub("median_us=", "", $5); print $5 }' "$p")
        echo "In-process time of the parts (\`vault_bench parts\`, PKCS#12 RSA-2048, N = $PROFILE_N, median of 3):"
        echo
        echo "| part | time (ms) | share of a resolution |"
        echo "|---|---:|---:|"
        while read -r name label; do
            local t
            t=$(awk -v n="$name" '$2 == "name=" n { sub("median_us=", "", $5); print $5 }' "$p")
            echo "| $label | $(ms "$t") | $(pct "$t" "$total") |"
        done <<'EOF'
resolve vault_open + vault_get of every alias + vault_free
config vault_config_open: reading the deployment.toml
keystore vault_keystore_open + key unlock (PKCS#12 MAC and PBES2)
first_value a fresh opener: the first value (the one RSA-OAEP unwrap)
values a fresh opener through the public vault_opener API: every value (one unwrap, N AEAD opens, each secret a slice of the opener's guarded pool)
secret_new_free for scale: N × vault_secret_new + vault_secret_free (20 bytes), a guarded allocation per value
get vault_get of every alias on an open vault (a view of the vault's storage each)
EOF
        if [ -f "$WORK/cg.ours.txt" ]; then
            o=$(awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }' "$WORK/cg.ours.txt")
            fl=$(awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }' "$WORK/cg.floor.txt")
            echo
            echo "Instructions (callgrind, user space only, whole process, N = $PROFILE_N): libvault $(awk -v a="$o" 'BEGIN { printf "%.1f", a / 1e6 }') M, floor $(awk -v a="$fl" 'BEGIN { printf "%.1f", a / 1e6 }') M. Inclusive counts in libvault:"
            echo
            echo "| function | instructions | share |"
            echo "|---|---:|---:|"
            for k in vault_open rt_locate conf_open_for_reading toml_read vault_keystore_open ks_private_key \
                resolve_all native_open b64url_decode rsa_decrypt crypto_aead_xchacha20poly1305_ietf_decrypt \
                sodium_malloc sodium_free vault_get vault_free; do
                local c
                c=$(ir "$WORK/cg.ours.txt" "$k")
                [ -n "$c" ] && echo "| \`$k\` | $(awk -v a="$c" 'BEGIN { printf "%.1f M", a / 1e6 }') | $(pct "$c" "$o") |"
            done
            echo "| floor: \`PKCS12_parse\` (two calls: set-up and the timed run) | $(awk -v a="$(ir "$WORK/cg.floor.txt" PKCS12_parse)" 'BEGIN { printf "%.1f M", a / 1e6 }') | |"
        fi
        if [ -f "$WORK/strace.txt" ]; then
            sys=$(awk '$NF == "total" { print $4 }' "$WORK/strace.txt")
            echo
            echo "System calls of one resolution (strace -c, N = $PROFILE_N): $sys in all;" \
                "$(awk -v n="$PROFILE_N" '$NF ~ /^(mmap|munmap|mprotect|mlock|munlock|madvise)$/ { printf "%s%s %s", sep, $NF, $4; sep = ", "; s += $4 } END { printf " (%.1f per secret)", s / n }' "$WORK/strace.txt")."
        fi
        if [ -f "$WORK/perf.dso.txt" ]; then
            echo
            echo "CPU samples (perf record -e cpu-clock, kernel included, N = $PROFILE_N, 3 resolutions):" \
                "$(awk '/%/ && $2 ~ /kernel/ { printf "kernel %s", $1; exit }' "$WORK/perf.dso.txt");" \
                "the ten largest by their own samples: $(awk '/%/ && $1 ~ /%$/ && !seen[$NF]++ && n < 10 { printf "%s%s %s", sep, $NF, $1; sep = ", "; n++ }' "$WORK/perf.sym.txt")."
        fi
        true
    } >"$f"
}

plot() {
    local n d=$WORK/plot.dat
    [ -n "${NOTE[gnuplot]:-}" ] && return 0
    {
        echo "# N ours_native floor_native ours_wso2 floor_wso2 java_cold java_whole ours_whole floor_whole"
        for n in "${NS[@]}"; do
            printf '%s' "$n"
            for k in res.nat.ks2048.p12 floor.nat.2048 res.wso2.ks2048.p12 floor.wso2.2048 java.cold.2048 java.whole.2048 whole.nat.ks2048.jks whole.floor; do
                local v=${R[$k.$n]:-}
                num "$v" && printf ' %s' "$(awk -v u="$v" 'BEGIN { print u / 1000 }')" || printf ' -'
            done
            echo
        done
    } >"$d"
    gnuplot <<EOF 2>"$WORK/gnuplot.err" || NOTE[gnuplot]="gnuplot failed: $(head -1 "$WORK/gnuplot.err")"
set terminal pngcairo size 960,600 font "sans,10"
set output "$PNG"
set datafile missing "-"
set logscale xy
set format y "%g"
set xlabel "secrets resolved at start-up (N)"
set ylabel "time (ms)"
set title "Start-up resolution, RSA-2048 ($(date -u +%Y-%m-%d), $(nproc) cores, load $LOAD_START)"
set key top left
set grid
plot "$d" using 1:2 with linespoints lw 2 title "libvault, native, in process", \
     "$d" using 1:3 with linespoints lw 2 dt 2 title "floor (OpenSSL+libsodium), native", \
     "$d" using 1:8 with linespoints lw 2 title "libvault, native, whole process (JKS)", \
     "$d" using 1:9 with linespoints lw 2 dt 2 title "floor, native, whole process", \
     "$d" using 1:4 with linespoints lw 2 title "libvault, WSO2 OAEP-SHA1, in process", \
     "$d" using 1:5 with linespoints lw 2 dt 2 title "floor, WSO2 OAEP-SHA1", \
     "$d" using 1:6 with linespoints lw 2 title "Java JCE, in process (cold JVM)", \
     "$d" using 1:7 with linespoints lw 2 title "Java JCE, whole process"
EOF
}

# The document's sections each measuring step feeds.
declare -A STEP_SECTIONS=(
    [floor]="resolution resolution_wso2 targets" [ours]="resolution resolution_wso2 targets profile"
    [whole]="java memory targets" [java]="java resolution_wso2 targets" [seal]="seal targets"
    [context]=context [startup]=startup [profile]=profile
)

# A run of some steps only (BENCH_STEPS) leaves the other sections as they
# were: their section files are removed before the rewrite.
keep_measured_sections() {
    local all=" machine " st f name
    for st in $STEPS; do all+="${STEP_SECTIONS[$st]:-} "; done
    for f in "$WORK"/tables/*.md; do
        name=$(basename "$f" .md)
        [[ "$all" == *" $name "* ]] || rm -f "$f"
    done
}

# Replace the text between "<!-- bench:NAME -->" and "<!-- /bench:NAME -->" by
# the section files; a section without a file keeps its text.
rewrite_doc() {
    local src=$ROOT/docs/PERFORMANCE.md
    [ -f "$src" ] || die "docs/PERFORMANCE.md is missing"
    awk -v dir="$WORK/tables" '
        /^<!-- bench:[a-z_0-9]+ -->$/ { print; name = $2; sub("bench:", "", name); f = dir "/" name ".md"
            if ((getline line < f) > 0) { print line; while ((getline line < f) > 0) print line; close(f); skip = 1 }
            next }
        /^<!-- \/bench:[a-z_0-9]+ -->$/ { skip = 0 }
        !skip { print }' "$src" >"$WORK/PERFORMANCE.md"
    cp "$WORK/PERFORMANCE.md" "$DOC"
}

step() {
    [[ "$STEPS" == *" $1 "* ]]
}

# What the report needs, kept in the build directory for BENCH_REPORT_ONLY.
save_results() {
    local d=$SAVED
    rm -rf "$d"
    mkdir -p "$d"
    {
        declare -p R NOTE CHECK_FAIL SKIPPED | sed 's/^declare -/declare -g/'
        echo "START_SECONDS=$(((${EPOCHREALTIME/./} - ${START/./}) / 1000000))"
        echo "LOAD_START='$LOAD_START'"
        echo "LOAD_END='$LOAD_END'"
        echo "RUN_DATE='$RUN_DATE'"
    } >"$d/results.sh"
    for f in out/parts.out cg.ours.txt cg.floor.txt strace.txt perf.dso.txt perf.sym.txt; do
        [ -f "$WORK/$f" ] && cp "$WORK/$f" "$d/$(basename "$f")"
    done
    true
}

load_results() {
    local d=$SAVED f
    [ -f "$d/results.sh" ] || die "no saved results in $d: run bench/run.sh first"
    # shellcheck disable=SC1091
    source "$d/results.sh"
    START=$(awk -v s="$START_SECONDS" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.6f", now - s }')
    for f in parts.out cg.ours.txt cg.floor.txt strace.txt perf.dso.txt perf.sym.txt; do
        [ -f "$d/$f" ] || continue
        if [ "$f" = parts.out ]; then cp "$d/$f" "$WORK/out/$f"; else cp "$d/$f" "$WORK/$f"; fi
    done
    VB=$BUILD/vault_bench
    CT=$BUILD/vault/cipher-tool/cipher-tool
}

measure() {
    log "tools"
    install_tools
    log "build ($BUILD)"
    build
    log "inputs: keystores (RSA-2048, RSA-4096; PKCS#12, JKS), configs N = ${NS[*]}"
    make_keystores
    make_inputs
    step floor && measure_floor
    step ours && measure_ours
    step whole && measure_whole
    step java && measure_java
    step context && measure_context
    step seal && measure_seal
    step startup && measure_startup
    step profile && profile
    LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
    RUN_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
    save_results
}

main() {
    mkdir -p "$WORK/out" "$WORK/tables"
    if [ "${BENCH_REPORT_ONLY:-0}" = 1 ]; then
        load_results
    else
        measure
    fi
    log "report"
    table_targets
    table_resolution
    table_java
    table_seal
    table_memory
    table_context
    table_startup
    table_profile
    [ -n "${BENCH_STEPS:-}" ] || plot # a partial run leaves the plot as it was
    table_machine
    [ -z "${BENCH_STEPS:-}" ] || keep_measured_sections
    rewrite_doc
    [ ! -f "$WORK/tables/targets.md" ] || cat "$WORK/tables/targets.md"
    [ ${#CHECK_FAIL[@]} = 0 ] || printf 'checksum mismatch: %s\n' "${CHECK_FAIL[@]}" >&2
    log "done: $DOC${NOTE[gnuplot]:+ (no plot)}${NOTE[gnuplot]:-, $PNG}"
}

main "$@"
