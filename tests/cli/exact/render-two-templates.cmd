render
--config
@TMP@/plain.toml
a
b
