recipients
add
-k
@SHARED@/fixtures/java/identity.p12
--cert
@SHARED@/fixtures/java/identity.pem
