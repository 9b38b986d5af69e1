#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every source file the repository tracks names its license (SPDX), and the
# license it names is the one in LICENSE.
set -euo pipefail
src=${VAULT_SOURCE:?}
if ! git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    echo "SKIP: $src is not a git checkout (the file list comes from git)"
    exit 77
fi
grep -q "Apache License" "$src/LICENSE" && grep -q "Version 2.0" "$src/LICENSE" ||
    { echo "FAIL: LICENSE is not the Apache License 2.0"; exit 1; }
missing=0 n=0
while IFS= read -r f; do
    case $f in
    debian/* | tests/fuzz/regressions/*) continue ;;
    *.c | *.h | *.java | *.sh | *.py | *CMakeLists.txt | *.cmake.in | *.pc.in | samples/git/pre-commit) ;;
    *) continue ;;
    esac
    n=$((n + 1))
    if ! head -c 500 "$src/$f" | grep -q "SPDX-License-Identifier: Apache-2.0"; then
        echo "FAIL: $f has no SPDX-License-Identifier: Apache-2.0 line"
        missing=$((missing + 1))
    fi
done < <(git -C "$src" ls-files)
[ "$n" -gt 100 ] || { echo "FAIL: only $n source files found"; exit 1; }
[ "$missing" -eq 0 ] || exit 1
echo "license: $n source files name Apache-2.0"
