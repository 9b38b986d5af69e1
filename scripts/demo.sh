#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo: build and install libvault and cipher-tool, seal the sample
# server's configuration, and start the sample server against a throw-away
# PostgreSQL: it resolves its sealed password at start-up and logs in.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
exec samples/run.sh
