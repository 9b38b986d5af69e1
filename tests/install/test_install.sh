#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cmake --install puts a usable library in place: a program builds against the
# installed copy through pkg-config and through find_package(vault).
set -euo pipefail
build=${VAULT_BUILD:?}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null

libdir=$(ls -d "$prefix"/lib*/ | head -1); libdir=${libdir%/}
test -x "$prefix/bin/cipher-tool"
test -f "$prefix/include/vault.h"
test -f "$prefix/share/man/man1/cipher-tool.1"
soname=$(objdump -p "$libdir/libvault.so" | awk '/SONAME/ {print $2}')
[ "$soname" = "libvault.so.0" ] || { echo "FAIL: SONAME is '$soname'"; exit 1; }

cat > "$tmp/hello.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <vault.h>
int main(void)
{
    vault_secret *s = NULL;
    if (vault_secret_new(&s, "hi", 2) != 0 || strcmp(vault_secret_str(s), "hi") != 0)
        return 1;
    vault_secret_free(s);
    printf("libvault %s\n", vault_version());
    return 0;
}
C
export PKG_CONFIG_PATH=$libdir/pkgconfig
# A sanitizer build of the library needs programs built the same way.
san=""
if objdump -p "$libdir/libvault.so" | grep -q 'NEEDED.*libasan'; then san="-fsanitize=address,undefined"; fi
# shellcheck disable=SC2046
gcc $san -o "$tmp/hello-pc" "$tmp/hello.c" $(pkg-config --cflags --libs vault)
out=$(LD_LIBRARY_PATH=$libdir "$tmp/hello-pc")
[ "$out" = "libvault $(pkg-config --modversion vault)" ] || { echo "FAIL: pkg-config program said '$out'"; exit 1; }

mkdir "$tmp/proj"
cp "$tmp/hello.c" "$tmp/proj/"
cat > "$tmp/proj/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(hello C)
find_package(vault REQUIRED)
add_executable(hello hello.c)
target_link_libraries(hello PRIVATE vault::vault)
CM
cmake -S "$tmp/proj" -B "$tmp/proj/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$san" >/dev/null
cmake --build "$tmp/proj/build" >/dev/null
out=$(LD_LIBRARY_PATH=$libdir "$tmp/proj/build/hello")
case "$out" in "libvault "*) ;; *) echo "FAIL: find_package program said '$out'"; exit 1;; esac

# The static library through find_package: its dependencies come with it
# (Threads, OpenSSL, libsodium, jansson), and the package sets no variable of
# its own in the consumer's scope (pkg_check_modules' SODIUM_*, JANSSON_*).
rm -rf "$tmp/proj/build"
cat > "$tmp/proj/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.16)
project(hello C)
find_package(vault REQUIRED)
foreach(v SODIUM_FOUND SODIUM_LIBRARIES JANSSON_FOUND JANSSON_LIBRARIES)
  if(DEFINED ${v})
    message(FATAL_ERROR "find_package(vault) left ${v} in the caller's scope")
  endif()
endforeach()
add_executable(hello hello.c)
target_link_libraries(hello PRIVATE vault::vault_static)
CM
cmake -S "$tmp/proj" -B "$tmp/proj/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$san" >/dev/null
cmake --build "$tmp/proj/build" >/dev/null
objdump -p "$tmp/proj/build/hello" | grep -q 'NEEDED.*libvault' && { echo "FAIL: the static program needs libvault.so"; exit 1; }
out=$("$tmp/proj/build/hello")
case "$out" in "libvault "*) ;; *) echo "FAIL: static find_package program said '$out'"; exit 1;; esac

# Installed artefacts export the public API only: every defined global symbol
# of the shared and the static library is vault_*.
for f in "$libdir/libvault.so" "$libdir/libvault.a"; do
    case $f in *.so) syms=$(nm -D --defined-only "$f") ;; *) syms=$(nm -g --defined-only "$f") ;; esac
    stray=$(printf '%s\n' "$syms" | awk 'NF == 3 && $3 !~ /^vault_/ {print $3}')
    [ -z "$stray" ] || { echo "FAIL: $f exports internal symbols: $(echo $stray | head -c 300)"; exit 1; }
    printf '%s\n' "$syms" | grep -q ' T vault_open$' || { echo "FAIL: $f lacks vault_open"; exit 1; }
done
echo "install: SONAME, pkg-config, find_package(vault) shared and static, exported symbols passed"
