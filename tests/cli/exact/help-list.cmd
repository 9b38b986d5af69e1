help
list
