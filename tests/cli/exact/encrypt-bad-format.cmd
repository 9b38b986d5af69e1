encrypt
--format
rot13
-k
@SHARED@/fixtures/java/identity.p12
