seal
--frob
