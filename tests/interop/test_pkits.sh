#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# NIST PKITS (python3-cryptography-vectors' copy) sections 4.1 signatures, 4.2 validity
# periods, 4.3 name chaining, 4.4 basic CRL revocation, 4.6 basic constraints and 4.7 key
# usage through `cipher-tool keystore verify`: every Valid* path trusted, every Invalid*
# refused, with the truststore holding the trust anchor and every PKITS CRL (.crl files of a
# directory). Each path's end-entity certificate comes with all PKITS CA certificates as
# candidate intermediates. Named exceptions, which `openssl verify -crl_check_all` also
# refuses:
#   4.1.5 ValidDSAParameterInheritanceTest5: OpenSSL does not support DSA parameter
#         inheritance (RFC 3279 2.3.2); the EE key has no parameters of its own.
#   4.4.19 ValidSeparateCertificateandCRLKeysTest19: the CRL is signed by a second key of
#         the same CA name; OpenSSL's CRL check does not look for that signer.
source "$(dirname "$0")/../cli/lib.sh"
P=/usr/lib/python3/dist-packages/cryptography_vectors/x509/PKITS_data
[ -d "$P/certs" ] || fail "python3-cryptography-vectors is not installed"
mkdir "$TMP/ts"
cp "$P/certs/TrustAnchorRootCertificate.crt" "$P"/crls/*.crl "$TMP/ts/"
for c in "$P"/certs/*.crt; do
    case $c in *EE.crt | */TrustAnchorRootCertificate.crt) ;; *) openssl x509 -inform DER -in "$c" ;; esac
done > "$TMP/cas.pem"

s41="ValidCertificatePathTest1 InvalidCASignatureTest2 InvalidEESignatureTest3 ValidDSASignaturesTest4
ValidDSAParameterInheritanceTest5 InvalidDSASignatureTest6"
s42="InvalidCAnotBeforeDateTest1 InvalidEEnotBeforeDateTest2 Validpre2000UTCnotBeforeDateTest3
ValidGeneralizedTimenotBeforeDateTest4 InvalidCAnotAfterDateTest5 InvalidEEnotAfterDateTest6
Invalidpre2000UTCEEnotAfterDateTest7 ValidGeneralizedTimenotAfterDateTest8"
s43="InvalidNameChainingTest1 InvalidNameChainingOrderTest2 ValidNameChainingWhitespaceTest3
ValidNameChainingWhitespaceTest4 ValidNameChainingCapitalizationTest5 ValidNameUIDsTest6
ValidRFC3280MandatoryAttributeTypesTest7 ValidRFC3280OptionalAttributeTypesTest8
ValidUTF8StringEncodedNamesTest9 ValidRolloverfromPrintableStringtoUTF8StringTest10
ValidUTF8StringCaseInsensitiveMatchTest11"
s44="InvalidMissingCRLTest1 InvalidRevokedCATest2 InvalidRevokedEETest3 InvalidBadCRLSignatureTest4
InvalidBadCRLIssuerNameTest5 InvalidWrongCRLTest6 ValidTwoCRLsTest7 InvalidUnknownCRLEntryExtensionTest8
InvalidUnknownCRLExtensionTest9 InvalidUnknownCRLExtensionTest10 InvalidOldCRLnextUpdateTest11
Invalidpre2000CRLnextUpdateTest12 ValidGeneralizedTimeCRLnextUpdateTest13 ValidNegativeSerialNumberTest14
InvalidNegativeSerialNumberTest15 ValidLongSerialNumberTest16 ValidLongSerialNumberTest17
InvalidLongSerialNumberTest18 ValidSeparateCertificateandCRLKeysTest19
InvalidSeparateCertificateandCRLKeysTest20 InvalidSeparateCertificateandCRLKeysTest21"
s46="InvalidMissingbasicConstraintsTest1 InvalidcAFalseTest2 InvalidcAFalseTest3
ValidbasicConstraintsNotCriticalTest4 InvalidpathLenConstraintTest5 InvalidpathLenConstraintTest6
ValidpathLenConstraintTest7 ValidpathLenConstraintTest8 InvalidpathLenConstraintTest9
InvalidpathLenConstraintTest10 InvalidpathLenConstraintTest11 InvalidpathLenConstraintTest12
ValidpathLenConstraintTest13 ValidpathLenConstraintTest14 ValidSelfIssuedpathLenConstraintTest15
InvalidSelfIssuedpathLenConstraintTest16 ValidSelfIssuedpathLenConstraintTest17"
s47="InvalidkeyUsageCriticalkeyCertSignFalseTest1 InvalidkeyUsageNotCriticalkeyCertSignFalseTest2
ValidkeyUsageNotCriticalTest3 InvalidkeyUsageCriticalcRLSignFalseTest4
InvalidkeyUsageNotCriticalcRLSignFalseTest5"
exceptions=" ValidDSAParameterInheritanceTest5 ValidSeparateCertificateandCRLKeysTest19 "

bundle() { { openssl x509 -inform DER -in "$P/certs/$1EE.crt"; cat "$TMP/cas.pem"; } > "$TMP/$1.pem"; }
count=0
for t in $s41 $s42 $s43 $s44 $s46 $s47; do
    [ -f "$P/certs/${t}EE.crt" ] || fail "no PKITS certificate for $t"
    bundle "$t"
    want=0
    case $t in Invalid*) want=1 ;; esac
    case $exceptions in *" $t "*) want=1 ;; esac
    run "$want" "$CT" keystore verify -k "$TMP/$t.pem" --truststore "$TMP/ts"
    [ "$want" = 0 ] || contains "$err" "$t.pem"
    rm "$TMP/$t.pem"
    count=$((count + 1))
done
[ "$count" = 68 ] || fail "$count PKITS paths, 68 expected"

# A revoked end entity is refused with the CRL's reason; so is a path through a revoked CA.
bundle InvalidRevokedEETest3
run 1 "$CT" keystore verify -k "$TMP/InvalidRevokedEETest3.pem" --truststore "$TMP/ts"
contains "$err" "certificate revoked (reason: keyCompromise)"
bundle InvalidRevokedCATest2
run 1 "$CT" keystore verify -k "$TMP/InvalidRevokedCATest2.pem" --truststore "$TMP/ts"
contains "$err" "certificate revoked"
contains "$err" "in its issuer chain"

# --crl: a truststore with no CRLs trusts the revoked certificate until the CRLs are given.
openssl x509 -inform DER -in "$P/certs/TrustAnchorRootCertificate.crt" -out "$TMP/root.pem"
for c in "$P/crls/TrustAnchorRootCRL.crl" "$P/crls/GoodCACRL.crl"; do openssl crl -inform DER -in "$c"; done \
    > "$TMP/crls.pem"
run 0 "$CT" keystore verify -k "$TMP/InvalidRevokedEETest3.pem" --truststore "$TMP/root.pem"
run 1 "$CT" keystore verify -k "$TMP/InvalidRevokedEETest3.pem" --truststore "$TMP/root.pem" --crl "$TMP/crls.pem"
contains "$err" "certificate revoked"
bundle ValidCertificatePathTest1
run 0 "$CT" keystore verify -k "$TMP/ValidCertificatePathTest1.pem" --truststore "$TMP/root.pem" \
    --crl "$TMP/crls.pem"
# The same CRLs in the truststore's PEM bundle.
cat "$TMP/root.pem" "$TMP/crls.pem" > "$TMP/root-crls.pem"
run 1 "$CT" keystore verify -k "$TMP/InvalidRevokedEETest3.pem" --truststore "$TMP/root-crls.pem"
contains "$err" "certificate revoked"
# A CRL file that is no CRL is named.
run 1 "$CT" keystore verify -k "$TMP/ValidCertificatePathTest1.pem" --truststore "$TMP/root.pem" \
    --crl "$TMP/root.pem"
contains "$err" "root.pem: no CRL"
run 2 "$CT" encrypt --cert "$TMP/root.pem" --crl "$TMP/crls.pem"

# The trust gate on sealing: the revoked recipient is refused, the good one taken.
run_in 1 "s3cret" "$CT" encrypt --cert "$TMP/InvalidRevokedEETest3.pem" --truststore "$TMP/root-crls.pem"
contains "$err" "certificate revoked"
run_in 0 "s3cret" "$CT" encrypt --cert "$TMP/ValidCertificatePathTest1.pem" --truststore "$TMP/root-crls.pem"
case "$out" in vault:v1:*) ok ;; *) fail "not a native value: $out" ;; esac
done_tests
