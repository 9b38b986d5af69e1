#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every PKCS#12 file of pyca's test vectors (its own and NIST PKITS's) lists
# exactly the certificates and key type that python3-cryptography reads from it
# (pyca_corpus.py is the judge; it names the files judged by openssl instead).
source "$(dirname "$0")/../cli/lib.sh"
V=/usr/lib/python3/dist-packages/cryptography_vectors
[ -d "$V/pkcs12" ] && [ -d "$V/x509/PKITS_data/pkcs12" ] || fail "python3-cryptography-vectors is not installed"
files=("$V"/pkcs12/*.p12 "$V"/x509/PKITS_data/pkcs12/*.p12)
[ "${#files[@]}" -ge 400 ] || fail "only ${#files[@]} PKCS#12 files found"
run 0 python3 "$(dirname "$0")/pyca_corpus.py" "$CT" "$TMP" "${files[@]}"
contains "$out" "${#files[@]} files, ${#files[@]} agree, 0 differ"

# The judge can fail: a listing that drops a certificate is caught.
cat > "$TMP/drop-one" <<SH
#!/bin/sh
"$CT" "\$@" | python3 -c 'import json,sys; d=json.load(sys.stdin); d["entries"]=d["entries"][:-1]; json.dump(d,sys.stdout)'
SH
chmod 700 "$TMP/drop-one"
run 1 python3 "$(dirname "$0")/pyca_corpus.py" "$TMP/drop-one" "$TMP" "$V/pkcs12/name-all-pwd.p12"
contains "$out" "certificates differ"
done_tests
