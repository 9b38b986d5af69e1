list
--help
