decrypt
--frob
