#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# publish --json against a real single-member etcd: the revision and the
# aliases it reports are what etcdctl reads back; failures are JSON error
# objects. Every object is checked against docs/json-schema.json.
source "$(dirname "$0")/lib.sh"
SCHEMA=$(cd "$(dirname "$0")/../../docs" && pwd)/json-schema.json
for tool in etcd etcdctl; do
    command -v "$tool" >/dev/null || { echo "skipped: $tool is not installed (etcd-server, etcd-client)"; exit 77; }
done
python3 -c 'import jsonschema' 2>/dev/null || { echo "skipped: python3-jsonschema is not installed"; exit 77; }
J=$SH/fixtures/java
source "$(dirname "$0")/etcd_member.sh"
start_etcd "$TMP/etcd"

valid() {
    printf '%s' "$out" | python3 -c '
import json, sys, jsonschema
jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(sys.stdin))' "$SCHEMA" \
        || fail "does not follow docs/json-schema.json: $out"
    ok
}
field() { printf '%s' "$out" | python3 -c 'import json, sys; o = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

cat > "$TMP/app.toml" <<'TOML'
[secrets]
db_password = "[db-s3cret]"
api_token = "[tok]"
TOML
run 0 "$CT" seal "$TMP/app.toml" --cert "$J/identity.pem"
run 0 "$CT" publish "$TMP/app.toml" --etcd "$EP" --prefix /vault/app/ --json
valid
rev=$(field 'o["revision"]')
equals "$(field 'o["prefix"], o["aliases"]')" "('/vault/app/', ['db_password', 'api_token'])"
# etcdctl: the keys under the prefix, each written at that revision.
ectl get --prefix /vault/app/ -w json > "$TMP/get.json"
equals "$(python3 -c '
import base64, json, sys
o = json.load(open(sys.argv[1]))
print(sorted((base64.b64decode(k["key"]).decode(), k["mod_revision"]) for k in o["kvs"]))' "$TMP/get.json")" \
    "[('/vault/app/api_token', $rev), ('/vault/app/db_password', $rev)]"
contains "$err" "published 2 sealed values under /vault/app/ at revision $rev"

# Failures: nothing written, one error object on stdout, exit 1 (2 for usage).
printf '[secrets]\nplain = "[x]"\n' > "$TMP/plain.toml"
run 1 "$CT" publish "$TMP/plain.toml" --etcd "$EP" --prefix /vault/app/ --json
valid
equals "$(field 'o["command"], o["error"]["code"]')" "('publish', 'error')"
contains "$(field 'o["error"]["message"]')" 'alias "plain"'
run 1 "$CT" publish "$TMP/app.toml" --etcd "$EP" --prefix /vault/app/ --if-revision $((rev - 1)) --json
valid
contains "$(field 'o["error"]["message"]')" "nothing published"
run 1 "$CT" publish "$TMP/app.toml" --etcd "http://127.0.0.1:$DEAD" --prefix /vault/app/ --timeout-ms 300 --json
valid
run 2 "$CT" publish "$TMP/app.toml" --json
valid
equals "$(field 'o["error"]["code"]')" usage
equals "$(ectl get --prefix /vault/app/ -w json | python3 -c 'import json, sys; print(json.load(sys.stdin)["header"]["revision"])')" "$rev"
# Without --json: the revision alone, as before.
run 0 "$CT" publish "$TMP/app.toml" --etcd "$EP" --prefix /vault/app/
equals "$out" "$((rev + 1))"
done_tests
