decrypt
