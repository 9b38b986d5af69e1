check
-k
