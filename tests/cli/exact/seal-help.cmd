seal
--help
