// Package helm holds the tests of the sfsync Helm chart in
// deploy/helm/sfsync: they render it with helm template and decode every
// object strictly into its Kubernetes API type. The chart itself is not
// Go; this package has no non-test code.
package helm
