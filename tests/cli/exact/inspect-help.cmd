inspect
--help
