encrypt
--frob
