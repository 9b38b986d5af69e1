edit
--help
