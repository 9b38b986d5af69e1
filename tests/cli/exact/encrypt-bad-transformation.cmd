encrypt
--transformation
RSA/NONE
-k
@SHARED@/fixtures/java/identity.p12
