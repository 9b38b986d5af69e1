encrypt
--format
