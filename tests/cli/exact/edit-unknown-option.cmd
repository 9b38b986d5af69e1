edit
--frob
