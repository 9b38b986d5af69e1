decrypt
-k
@SHARED@/fixtures/java/identity.p12
--no-pkcs1
--transformation
RSA/ECB/PKCS1Padding
