exec
--config
@TMP@/plain.toml
--env
DB
--
true
