decrypt
-k
@TMP@/missing.p12
--password-file
@TMP@/store.pw
