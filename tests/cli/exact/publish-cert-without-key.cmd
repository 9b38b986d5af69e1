publish
--etcd
http://127.0.0.1:1
--prefix
/p
--cert
c.pem
@TMP@/plain.toml
