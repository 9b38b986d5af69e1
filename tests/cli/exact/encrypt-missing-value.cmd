encrypt
-k
