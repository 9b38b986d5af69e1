set
--value-fd
x
-k
@SHARED@/fixtures/java/identity.p12
@TMP@/plain.toml
db_password
