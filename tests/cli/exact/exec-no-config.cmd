exec
--
true
