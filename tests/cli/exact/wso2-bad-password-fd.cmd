-Dconfigure
--password-fd
x
