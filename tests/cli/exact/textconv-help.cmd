textconv
--help
