#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The public-API tests under valgrind memcheck: no error, no definite leak.
# Criterion ignores its workers' exit codes, so every process's log is read.
# usage: scripts/valgrind.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
shared=$(cd "$(dirname "$0")/../../shared" && pwd)
logs=$build/valgrind
rm -rf "$logs"; mkdir -p "$logs"
source=$(cd "$(dirname "$0")/.." && pwd)
vg() {
    VAULT_SHARED=$shared VAULT_SOURCE=$source VAULT_BUILD=$build valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite \
        --error-exitcode=1 --trace-children=yes --trace-children-skip='/bin/*,/usr/bin/*' \
        --log-file="$logs/%p.log" "$@"
}
cd "$build"
# guarded/* crash on purpose (guard pages) or interpose munmap.
# Every public-API test binary, so a new one is covered without listing it.
for t in tests/api_test_*; do
    case $t in
    *api_test_runtime) vg "$t" --jobs 1 --filter '!(guarded)/*' ;;
    *) vg "$t" --jobs 1 ;;
    esac
done
vg tests/unit_test_runtime_locate --jobs 1
if grep -l "ERROR SUMMARY: [1-9]" "$logs"/*.log; then
    grep -h -B30 "ERROR SUMMARY: [1-9]" "$logs"/*.log | head -80
    echo "valgrind: errors (logs in $logs)"
    exit 1
fi
echo "valgrind: $(ls "$logs" | wc -l) processes, 0 errors"
