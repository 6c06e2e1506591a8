// Package metric makes the Prometheus collectors of the sfsync services
// in one line each: [CounterVec], [GaugeVec] and [HistogramVec] for the
// labelled ones, [Counter], [Gauge] and [Histogram] for the plain ones. Each is
// made unregistered, as prometheus.New* makes it; the caller registers
// it with the Registerer it was given.
package metric
