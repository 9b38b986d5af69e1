help
keystore
