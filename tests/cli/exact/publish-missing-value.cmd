publish
--etcd
