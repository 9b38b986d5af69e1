keystore
verify
-k
@SHARED@/fixtures/java/identity.p12
