#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build the libFuzzer targets (tests/fuzz) with clang in build/fuzz, seed
# their corpora, replay the saved regressions, then fuzz each target for a
# short time. Exits 1 on any crash, leak, timeout or broken invariant.
#
#   FUZZ_TIME=20   seconds per target
#   FUZZ_JOBS=N    targets fuzzed at once (default: the number of cores)
set -euo pipefail
cd "$(dirname "$0")/.."

fuzz_time=${FUZZ_TIME:-20}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
build=build/fuzz
targets=(keystore sealed config xml legacy_map)

install_clang() {
    local missing=() p
    for p in clang libclang-rt-14-dev; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing: ${missing[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: missing packages and not root; run: apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_clang
echo "== building the fuzzers in $build"
CC=clang cmake -S . -B "$build" -DVAULT_BUILD_FUZZERS=ON -DVAULT_BUILD_TESTS=OFF -DVAULT_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]/#/fuzz_}" >/dev/null
cmake --build "$build" --target fuzz_seeds

bin=$build/tests/fuzz
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fuzz_opts=(-rss_limit_mb=2048 -timeout=10)

echo "== replaying tests/fuzz/regressions"
status=0
for t in "${targets[@]}"; do
    dir=tests/fuzz/regressions/$t
    if [ ! -d "$dir" ] || [ -z "$(ls -A "$dir")" ]; then
        continue
    fi
    if ! "$bin/fuzz_$t" "${fuzz_opts[@]}" "$dir"/* >"$bin/regressions-$t.log" 2>&1; then
        echo "fuzz_$t: FAILED on a saved regression input (see $bin/regressions-$t.log):" >&2
        grep -E '^(==[0-9]+==ERROR|SUMMARY|Running:|fuzz_)' "$bin/regressions-$t.log" | tail -5 >&2
        status=1
    fi
done

# One target: a fresh working corpus beside the seeds, artifacts in its own
# directory; the exit status is left in a file (run in the background).
run_target() {
    local t=$1
    local work=$bin/work/$t art=$bin/artifacts/$t/ dict=()
    rm -rf "$work" "$art"
    mkdir -p "$work" "$art"
    [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    set +e
    "$bin/fuzz_$t" "${fuzz_opts[@]}" "${dict[@]}" -max_total_time="$fuzz_time" -print_final_stats=1 \
        -artifact_prefix="$art" "$work" "$bin/corpus/$t" >"$bin/fuzz-$t.log" 2>&1
    echo $? >"$bin/fuzz-$t.rc"
}

echo "== fuzzing ${targets[*]} for ${fuzz_time}s each, $jobs at a time"
for t in "${targets[@]}"; do
    rm -f "$bin/fuzz-$t.rc"
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
        wait -n || true
    done
    run_target "$t" &
done
wait

for t in "${targets[@]}"; do
    log=$bin/fuzz-$t.log
    rc=$(cat "$bin/fuzz-$t.rc" 2>/dev/null || echo 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | sed -n 's/.*\(cov: [0-9]*\).*\(corp: [^ ]*\).*/\1 \2/p' | tail -1)
    if [ "$rc" -eq 0 ]; then
        echo "fuzz_$t: ok: ${execs:-?} executions in ${fuzz_time}s (${cov:-no stats})"
    else
        echo "fuzz_$t: FAILED (exit $rc) after ${execs:-?} executions; log $log" >&2
        grep -E '^(==[0-9]+==ERROR|SUMMARY|ALARM|Test unit written|fuzz_)|runtime error' "$log" | head -8 >&2
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "fuzzing passed" || echo "fuzzing FAILED" >&2
exit "$status"
