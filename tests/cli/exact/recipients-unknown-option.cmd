recipients
add
--frob
