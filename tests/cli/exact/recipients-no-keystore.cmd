recipients
add
--cert
@SHARED@/fixtures/java/identity.pem
@TMP@/plain.toml
