set
-k
@SHARED@/fixtures/java/identity.p12
@TMP@/plain.toml
