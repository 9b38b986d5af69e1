keystore
list
-k
