// Package svcconfigtest holds the fixtures that the configuration tests
// of every sfsync service share: key and certificate files, an
// environment lookup over a map, configuration files beside the bundled
// mapping, and [Problems], the runner of tables of configurations that
// fail to load ([Case]). It is for tests only.
package svcconfigtest
