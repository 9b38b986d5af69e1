exec
--frob
