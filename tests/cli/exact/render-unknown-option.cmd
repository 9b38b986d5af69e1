render
--frob
