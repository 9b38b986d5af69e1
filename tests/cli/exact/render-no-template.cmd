render
--config
@TMP@/plain.toml
