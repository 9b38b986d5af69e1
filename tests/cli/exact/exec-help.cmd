exec
--help
