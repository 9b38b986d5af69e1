keystore
--help
