exec
--config
@TMP@/plain.toml
--signal
SIGFROB
--
true
