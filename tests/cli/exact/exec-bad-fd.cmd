exec
--config
@TMP@/plain.toml
--fd
x=db_password
--
true
