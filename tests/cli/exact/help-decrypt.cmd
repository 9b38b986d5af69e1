help
decrypt
