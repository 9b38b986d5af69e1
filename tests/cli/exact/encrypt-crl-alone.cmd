encrypt
-k
@SHARED@/fixtures/java/identity.p12
--crl
@TMP@/x.crl
