check
--frob
