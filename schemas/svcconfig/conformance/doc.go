// Package conformance is the suite every sfsync service's configuration
// passes, run by each service's config tests: [Suite] checks the example
// file, the base configuration, how problems are reported, the
// metrics_public warning and, with [SecretsNeverShow], that no secret
// prints; [Fuzz] fuzzes the service's parser; [Problems] runs a
// service's own table of configurations that fail to load. A service
// describes itself once, as a [Service], and hands it to each. It is for
// tests only.
package conformance
