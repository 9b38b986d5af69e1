decrypt
-k
@SHARED@/fixtures/java/identity.p12
--password-file
@TMP@/store.pw
--transformation
RSA/ECB/OAEPwithSHA1andMGF1Padding
