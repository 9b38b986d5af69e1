keystore
list
--frob
