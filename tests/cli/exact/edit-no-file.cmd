edit
-k
@SHARED@/fixtures/java/identity.p12
