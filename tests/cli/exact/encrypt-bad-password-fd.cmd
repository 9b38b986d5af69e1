encrypt
--password-fd
x
-k
@SHARED@/fixtures/java/identity.p12
