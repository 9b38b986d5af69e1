exec
--config
@TMP@/plain.toml
