set
--help
