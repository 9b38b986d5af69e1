encrypt
-k
@SHARED@/fixtures/java/identity.p12
--truststore-password-file
@TMP@/store.pw
