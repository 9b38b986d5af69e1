encrypt
