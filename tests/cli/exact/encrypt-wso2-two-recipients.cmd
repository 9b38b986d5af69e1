encrypt
--format
wso2
--cert
@SHARED@/fixtures/java/identity.pem
--cert
@SHARED@/fixtures/java/signed.pem
