edit
@TMP@/plain.toml
