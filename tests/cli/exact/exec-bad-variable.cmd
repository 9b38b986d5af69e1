exec
--config
@TMP@/plain.toml
--env
1DB=db_password
--
true
