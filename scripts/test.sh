#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build and run every test: plain, the public-API tests under valgrind, the
# suite under AddressSanitizer and UndefinedBehaviorSanitizer, and a short
# run of every fuzz target. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
run_suite() {
    local dir=$1; shift
    cmake -S . -B "$dir" -DVAULT_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$jobs" >/dev/null
    (cd "$dir" && ctest --output-on-failure -j "$jobs" --timeout 600)
}

echo "== plain build"
run_suite build/plain
echo "== valgrind (memcheck) on the public-API tests"
scripts/valgrind.sh build/plain
echo "== ASan + UBSan build"
# Guard-page tests expect a real SIGSEGV, so ASan must not catch it.
ASAN_OPTIONS=handle_segv=0:detect_leaks=1:abort_on_error=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build/asan -DVAULT_SANITIZE=ON
echo "== fuzz targets (libFuzzer, a short run each)"
scripts/fuzz.sh
echo "all test suites passed"
