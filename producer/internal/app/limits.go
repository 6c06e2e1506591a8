package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfsync/sfsync/platform/metric"
	"github.com/sfsync/sfsync/salesforce/rest"
)

// Org limits the poller exports (spec §5.2). Their names are those of
// the /limits resource.
const (
	// limitDelivered is the delivery allocation: change and platform
	// events delivered to subscribers in 24 h. Once it is used up,
	// Subscribe fails with subscription.limit.exceeded.
	limitDelivered = "DailyDeliveredPlatformEvents"
	// limitPublished is the platform event publishing allocation of the
	// current hour.
	limitPublished = "HourlyPublishedPlatformEvents"
	// limitAPIRequests is the REST API allocation of 24 h, which the
	// producer's partition-key lookups, the reconciler's queries and
	// this poller's own reads of /limits spend. Once it is used up, REST
	// calls fail with REQUEST_LIMIT_EXCEEDED.
	limitAPIRequests = "DailyApiRequests"
)

// watchedLimits are the /limits entries exported as metrics.
var watchedLimits = []string{limitDelivered, limitPublished, limitAPIRequests}

// lowShare is the share of a limit's Max under which its Remaining is
// logged as a warning.
const lowShare = 0.10

// pollTimeout bounds one read of /limits, retries included.
const pollTimeout = 30 * time.Second

// limitsReader reads the org's limits; *rest.Client is one.
type limitsReader interface {
	Limits(ctx context.Context) (map[string]rest.Limit, error)
}

// limitsPoller reads /limits every interval and exports the allocations
// of [watchedLimits] as gauges. A failed read is logged and counted,
// never fatal: the stream does not depend on it. It is not safe for
// concurrent use; run it once.
type limitsPoller struct {
	client   limitsReader
	interval time.Duration
	log      *slog.Logger

	max, remaining *prometheus.GaugeVec
	failures       prometheus.Counter
	low            map[string]bool // limits last seen under lowShare
}

// newLimitsPoller registers the poller's metrics with reg.
func newLimitsPoller(client limitsReader, interval time.Duration, reg prometheus.Registerer, log *slog.Logger) *limitsPoller {
	p := &limitsPoller{
		client: client, interval: interval, log: log, low: map[string]bool{},
		max: metric.GaugeVec("sfsync_producer_salesforce_limit_max",
			"The org's allocation of a Salesforce limit (the /limits resource's Max), by limit name.", "limit"),
		remaining: metric.GaugeVec("sfsync_producer_salesforce_limit_remaining",
			"What remains of a Salesforce limit in its current window (the /limits resource's Remaining), by limit name.", "limit"),
		failures: metric.Counter("sfsync_producer_salesforce_limits_poll_failures_total",
			"Reads of the Salesforce /limits resource that failed."),
	}
	reg.MustRegister(p.max, p.remaining, p.failures)
	return p
}

// run polls at once, then every interval, until ctx is done.
func (p *limitsPoller) run(ctx context.Context) {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		p.poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// poll reads /limits once and updates the gauges, logging a warning
// when a limit falls under lowShare of its Max and an info line when it
// is above again.
func (p *limitsPoller) poll(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	limits, err := p.client.Limits(ctx)
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return // stopping
		}
		p.failures.Inc()
		p.log.Warn("salesforce limits not read; will retry", "err", err, "after", p.interval)
		return
	}
	for _, name := range watchedLimits {
		l, ok := limits[name]
		if !ok {
			continue
		}
		p.max.WithLabelValues(name).Set(float64(l.Max))
		p.remaining.WithLabelValues(name).Set(float64(l.Remaining))
		low := l.Max > 0 && float64(l.Remaining) < lowShare*float64(l.Max)
		switch {
		case low && !p.low[name]:
			p.log.Warn("salesforce allocation nearly used up", "limit", name, "remaining", l.Remaining, "max", l.Max, "hint", hint(name))
		case !low && p.low[name]:
			p.log.Info("salesforce allocation available again", "limit", name, "remaining", l.Remaining, "max", l.Max)
		}
		p.low[name] = low
	}
}

// hint says what running out of the limit name does.
func hint(name string) string {
	switch name {
	case limitDelivered:
		return "when it reaches 0, Salesforce refuses subscriptions (subscription.limit.exceeded) until the 24-hour window frees some"
	case limitPublished:
		return "when it reaches 0, Salesforce refuses platform event publishes until the next hour"
	case limitAPIRequests:
		return "when it reaches 0, Salesforce refuses REST calls (REQUEST_LIMIT_EXCEEDED) until the 24-hour window frees some: partition-key lookups, the reconciler's verifies, re-fetches and polls, and reads of /limits fail"
	default:
		return ""
	}
}
