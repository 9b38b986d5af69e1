change
--help
