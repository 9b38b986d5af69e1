help
textconv
