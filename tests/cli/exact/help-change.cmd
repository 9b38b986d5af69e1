help
change
