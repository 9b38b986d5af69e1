decrypt
-k
@SHARED@/fixtures/java/identity.p12
--transformation
RSA/NONE
