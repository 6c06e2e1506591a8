// Package msk holds the least-privilege IAM policy for sfsync on Amazon
// MSK with IAM access control (iam-policy.json). Its test checks that the
// policy grants, in MSK's actions, every Kafka ACL the local stack gives
// the services' SCRAM users (deploy/local/stack.sh's SECURE_ACLS, which
// integration/e2e's TestSecuredPipeline proves sufficient), with the
// actions MSK requires alongside, and nothing on resources sfsync does
// not use; and that the README shows this very policy.
package msk
