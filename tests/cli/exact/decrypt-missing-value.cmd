decrypt
-k
