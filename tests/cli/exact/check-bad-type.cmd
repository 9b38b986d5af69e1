check
--type
yaml
@TMP@/plain.toml
