encrypt
--format
wso2-symmetric
