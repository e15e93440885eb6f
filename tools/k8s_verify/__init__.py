"""`make k8s-verify`: deploy/k8s applied, as a server-side dry run, to a real kube-apiserver with
etcd on loopback (docs/operations.md, "The manifests on a real API server")."""
