help
exec
