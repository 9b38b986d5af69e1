recipients
frob
