textconv
--type
yaml
@TMP@/plain.toml
