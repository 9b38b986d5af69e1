help
check
