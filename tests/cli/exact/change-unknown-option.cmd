change
--frob
