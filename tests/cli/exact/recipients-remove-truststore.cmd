recipients
remove
-k
@SHARED@/fixtures/java/identity.p12
--key-id
0000000000000000000000000000000000000000000000000000000000000000
--allow-untrusted
@TMP@/plain.toml
