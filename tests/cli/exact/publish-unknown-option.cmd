publish
--frob
