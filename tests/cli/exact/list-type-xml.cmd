list
--type
xml
@TMP@/plain.toml
