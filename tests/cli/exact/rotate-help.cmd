rotate
--help
