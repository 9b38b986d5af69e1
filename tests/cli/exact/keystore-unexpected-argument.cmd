keystore
list
-k
@SHARED@/fixtures/java/identity.p12
extra
