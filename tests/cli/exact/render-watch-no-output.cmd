render
--config
@TMP@/plain.toml
--watch
tpl
