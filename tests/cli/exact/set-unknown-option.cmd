set
--frob
