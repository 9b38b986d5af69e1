recipients
--help
