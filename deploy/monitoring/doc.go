// Package monitoring holds the tests of sfsync's monitoring files: the
// Grafana dashboard grafana/sfsync.json and the Prometheus alert rules
// prometheus/sfsync-alerts.yaml with their promtool unit tests. They
// check that every sfsync_ metric the files name is one the services
// declare in their code, that the dashboard is complete, and that every
// alert is labelled, documented by a runbook in docs/runbooks and unit
// tested. The files themselves are not Go; this package has no non-test
// code.
package monitoring
