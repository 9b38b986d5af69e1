keystore
list
