rotate
--frob
