#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install the Debian packages the build, the tests and the demo need, when missing.
set -euo pipefail

packages=(build-essential cmake pkg-config openssl libssl-dev libsodium-dev libjansson-dev
          libxml2-dev libxml2-utils libcriterion-dev openjdk-17-jdk-headless ca-certificates-java valgrind
          clang python3 zsh fish debhelper dpkg-dev lintian fakeroot systemd postgresql libpq-dev
          util-linux libp11-kit-dev softhsm2 opensc python3-cryptography
          python3-cryptography-vectors dash attr acl libcurl4-openssl-dev etcd-server etcd-client
          libtss2-dev swtpm tpm2-tools tpm2-openssl python3-jsonschema python3-yaml doxygen
          strace time)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: missing packages and not root; run: apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
