// Package endpoint serves the HTTP endpoints every sfsync service has on
// its metrics_addr: /metrics (Prometheus), /healthz (the process is up)
// and /readyz (it does its work).
package endpoint
