textconv
--frob
