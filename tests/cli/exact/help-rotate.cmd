help
rotate
