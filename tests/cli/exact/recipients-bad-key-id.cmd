recipients
remove
--key-id
xyz
-k
@SHARED@/fixtures/java/identity.p12
@TMP@/plain.toml
