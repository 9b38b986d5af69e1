recipients
remove
-k
@SHARED@/fixtures/java/identity.p12
@TMP@/plain.toml
