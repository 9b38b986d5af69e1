check
--cert
@SHARED@/fixtures/java/identity.pem
--storetype
bogus
@TMP@/plain.toml
