// Package conformance is the suite every sfsync service's configuration
// passes, run by each service's config tests: [Suite] checks the example
// file, the base configuration, how problems are reported and the
// metrics_public warning; [Fuzz] fuzzes the service's parser. A service
// describes itself once, as a [Service], and hands it to both. It is for
// tests only.
package conformance
