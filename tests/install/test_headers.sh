#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The public headers compile alone as C89, C99, C11 and C++ with -pedantic -Werror.
set -euo pipefail
src=${VAULT_SOURCE:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for h in vault.h vault/common.h vault/keystore.h vault/cipher.h vault/config.h vault/apply.h vault/home.h vault/xml.h vault/vault.h vault/repository.h; do
    n=$((${n:-0} + 1))
    printf '#include <%s>\nint main(void) { return 0; }\n' "$h" > "$tmp/t.c"
    for std in c89 c99 c11; do
        gcc -std=$std -pedantic -Wall -Wextra -Werror -I"$src/include" -c "$tmp/t.c" -o "$tmp/t.o" \
            || { echo "FAIL: $h as $std"; exit 1; }
    done
    cp "$tmp/t.c" "$tmp/t.cpp"
    g++ -std=c++11 -pedantic -Wall -Wextra -Werror -I"$src/include" -c "$tmp/t.cpp" -o "$tmp/t.o" \
        || { echo "FAIL: $h as C++"; exit 1; }
done
echo "headers: $n headers x 4 dialects passed"
