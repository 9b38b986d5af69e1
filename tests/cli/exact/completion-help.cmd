completion
--help
