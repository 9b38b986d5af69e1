help
completion
