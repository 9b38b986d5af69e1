decrypt
-k
@SHARED@/fixtures/java/identity.p12
abc
