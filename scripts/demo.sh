#!/usr/bin/env bash
# The demo: build cipher-tool, make a demo keystore with openssl and show it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DVAULT_BUILD_TESTS=OFF >/dev/null
cmake --build build/demo -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
CT=build/demo/cipher-tool/cipher-tool

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077
# A random store password in a 0600 file: never on the command line of cipher-tool.
openssl rand -base64 18 > "$work/store-password"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
    -subj "/CN=demo.example.com/O=Demo" -days 365 2>/dev/null
openssl pkcs12 -export -name demo -inkey "$work/key.pem" -in "$work/cert.pem" \
    -out "$work/demo.p12" -passout "file:$work/store-password"

echo "\$ cipher-tool keystore list -k demo.p12 --password-file store-password"
(cd "$work" && "$OLDPWD/$CT" keystore list -k demo.p12 --password-file store-password)
