decrypt
--help
