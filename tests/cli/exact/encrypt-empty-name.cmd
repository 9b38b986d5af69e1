encrypt
-k
@SHARED@/fixtures/java/identity.p12
-n

