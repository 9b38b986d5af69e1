publish
@TMP@/plain.toml
