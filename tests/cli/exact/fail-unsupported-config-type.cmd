check
-k
@SHARED@/fixtures/java/identity.p12
--password-file
@TMP@/store.pw
@TMP@/app.yaml
