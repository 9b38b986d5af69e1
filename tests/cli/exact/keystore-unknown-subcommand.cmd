keystore
frob
