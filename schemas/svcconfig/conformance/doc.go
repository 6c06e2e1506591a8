// Package conformance is the suite every sfsync service's configuration
// passes, run by each service's config tests: [Suite] checks the example
// file, the base configuration, how the problems of the shared settings
// are reported, the metrics_public warning and, with
// [SecretsNeverShow], that no secret prints; [Fuzz] fuzzes the
// service's parser; [Problems] runs a service's own table of
// configurations that fail to load, [Settings] its table of those that
// load. A service describes itself once, as a [Service], and hands it to
// each. It is for tests only.
package conformance
