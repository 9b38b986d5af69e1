encrypt
--help
