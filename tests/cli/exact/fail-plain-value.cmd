check
@TMP@/plain.toml
