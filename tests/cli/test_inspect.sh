#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cipher-tool inspect: what Java's values are, told without any key.
source "$(dirname "$0")/lib.sh"
J=$SH/fixtures/java
V=$J/vectors.tsv
col() { awk -F'\t' -v id="$1" -v c="$2" '$1 == id { print $c }' "$V"; }
TP=$(openssl x509 -inform der -in "$J/identity.cer" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')

run 0 "$CT" inspect --help
contains "$out" "usage: cipher-tool inspect [--json] [VALUE]"

# A raw block (row 0, Java's "RSA"): neither key nor padding recorded.
run_in 0 "$(col 0 5)" "$CT" inspect
equals "$out" "format:      wso2
algorithm:   RSA (padding not recorded: PKCS1Padding or OAEP)
recipients:  1
ciphertext:  256 bytes"
equals "$err" ""

# A holder (row 13, RSA/ECB/PKCS1Padding): its key and legacy padding.
run_in 0 "$(col 13 5)" "$CT" inspect
equals "$out" "format:      wso2-holder
algorithm:   RSA/ECB/PKCS1Padding
recipients:  1
key id:      $TP
ciphertext:  256 bytes
legacy:      yes (PKCS#1 v1.5 padding; re-seal it with 'cipher-tool rotate')"

# The same as an argument, and as JSON.
run 0 "$CT" inspect --json "$(col 37 5)"
tp_lower=$(printf '%s' "$TP" | tr 'A-F' 'a-f' | tr -d ':')
equals "$out" "{
  \"version\": 1,
  \"command\": \"inspect\",
  \"format\": \"wso2-holder\",
  \"algorithm\": \"RSA/ECB/OAEPWithSHA-256AndMGF1Padding\",
  \"recipient_count\": 1,
  \"key_ids\": [
    {
      \"type\": \"cert-sha1\",
      \"value\": \"$tp_lower\"
    }
  ],
  \"ciphertext_bytes\": 256,
  \"plaintext_bytes\": null,
  \"iv_bytes\": null,
  \"legacy\": false
}"

# AES-GCM (row 49: "wso2carbon", 10 bytes; 128-byte IV).
run_in 0 "$(col 49 5)" "$CT" inspect
equals "$out" "format:      wso2-symmetric
algorithm:   AES/GCM/NoPadding
ciphertext:  26 bytes
plaintext:   10 bytes
iv:          128 bytes"
run_in 0 "$(col 49 5)" "$CT" inspect --json
contains "$out" "\"iv_bytes\": 128"
contains "$out" "\"plaintext_bytes\": 10"
contains "$out" "\"recipient_count\": 0"
contains "$out" "\"key_ids\": []"

# A failure in JSON mode is JSON too, with a stable code (docs/JSON.md).
run_in 1 "not-a-value" "$CT" inspect --json
equals "$(printf '%s' "$out" | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["version"], o["command"], o["error"]["code"], bool(o["error"]["message"]))')" "1 inspect format True"
contains "$err" "cipher-tool: error:"

# NAME=VALUE and blank space, as encrypt -n prints it.
run_in 0 "  db.password=$(col 25 5)
" "$CT" inspect
contains "$out" "algorithm:   RSA/ECB/OAEPwithSHA1andMGF1Padding"

# Not values: exit 1, one error line, nothing on stdout.
run_in 1 "hello" "$CT" inspect
equals "$out" ""
equals "$err" "cipher-tool: error: not a sealed value (neither the native format nor base64)"
run_in 1 "$(printf '{"c":"AAAA","t":"RSA/ECB/NoPadding"}' | base64 -w0)" "$CT" inspect
equals "$err" "cipher-tool: error: WSO2 holder value: unknown transformation \"RSA/ECB/NoPadding\""
run_in 1 "" "$CT" inspect
equals "$err" "cipher-tool: error: no value on standard input"
run 2 "$CT" inspect a b
equals "$err" "cipher-tool: error: one value at a time
cipher-tool: hint: see 'cipher-tool help inspect'"
run 2 "$CT" inspect --yaml
contains "$err" "unknown option \"--yaml\""

done_tests
