list
--frob
