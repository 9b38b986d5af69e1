inspect
--frob
