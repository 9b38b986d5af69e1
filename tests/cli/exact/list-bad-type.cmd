list
--type
yaml
@TMP@/plain.toml
