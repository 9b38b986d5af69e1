encrypt
--storetype
zip
-k
@SHARED@/fixtures/java/identity.p12
