help
encrypt
