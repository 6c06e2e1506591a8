package sffake

import (
	"maps"
	"sync"
	"sync/atomic"
	"time"
)

// Names of the org limits whose Remaining moves with the emulator's
// traffic (spec §5.2).
const (
	// LimitDailyDeliveredPlatformEvents is the delivery allocation: events
	// (platform and change events alike) sent to Subscribe streams, once
	// per subscriber. When it is used up, Subscribe fails with
	// RESOURCE_EXHAUSTED subscription.limit.exceeded.
	LimitDailyDeliveredPlatformEvents = "DailyDeliveredPlatformEvents"
	// LimitHourlyPublishedPlatformEvents counts platform events published.
	// The emulator reports it but does not refuse publishes past it.
	LimitHourlyPublishedPlatformEvents = "HourlyPublishedPlatformEvents"
	// LimitDailyAPIRequests counts authenticated REST calls under
	// /services/data/vNN.N/. When it is used up, REST calls fail with 403
	// REQUEST_LIMIT_EXCEEDED.
	LimitDailyAPIRequests = "DailyApiRequests"
	// LimitDailyBulkV2QueryJobs counts Bulk API 2.0 query jobs created.
	// When it is used up, creating a job fails with 400 LIMIT_EXCEEDED.
	LimitDailyBulkV2QueryJobs = "DailyBulkV2QueryJobs"
)

// Limit is one entry of the /limits resource.
type Limit struct {
	// Max is the allocation.
	Max int64 `json:"Max"`
	// Remaining is Max less the use in the current window, never below 0.
	Remaining int64 `json:"Remaining"`
}

// limitDefault is a limit's default Max and, for the counted limits, the
// length of its window.
type limitDefault struct {
	max    int64
	window time.Duration
}

// defaultLimits are the Max values of an Enterprise Edition org without
// add-on licences (spec §1.12, §5.2); entries without a window are
// reported with Remaining = Max.
var defaultLimits = map[string]limitDefault{
	LimitDailyAPIRequests:                         {100_000, 24 * time.Hour},
	LimitDailyBulkV2QueryJobs:                     {10_000, 24 * time.Hour},
	LimitDailyDeliveredPlatformEvents:             {25_000, 24 * time.Hour},
	LimitHourlyPublishedPlatformEvents:            {250_000, time.Hour},
	"DailyBulkV2QueryFileStorageMB":               {976_562, 0},
	"DailyBulkApiBatches":                         {15_000, 0},
	"DailyStandardVolumePlatformEvents":           {10_000, 0},
	"HourlyPublishedStandardVolumePlatformEvents": {1_000, 0},
	"MonthlyPlatformEventsUsageEntitlement":       {0, 0},
	"DailyDurableStreamingApiEvents":              {200_000, 0},
	"DailyDurableGenericStreamingApiEvents":       {200_000, 0},
	"DailyGenericStreamingApiEvents":              {10_000, 0},
	"DailyStreamingApiEvents":                     {200_000, 0},
	"DurableStreamingApiConcurrentClients":        {2_000, 0},
	"StreamingApiConcurrentClients":               {2_000, 0},
}

// limits tracks the org limits. Counted limits measure use in fixed
// windows on the server's clock (the first starts at the server's
// creation; a new one starts at the first look after the previous one
// ended) rather than in Salesforce's rolling windows.
type limits struct {
	clock Clock
	// apiRequests and bulkJobs count REST calls and bulk jobs since
	// start; deliveries and publishes come from the server's Stats.
	apiRequests, bulkJobs atomic.Int64

	mu      sync.Mutex
	entries map[string]*limitEntry
}

type limitEntry struct {
	max    int64
	window time.Duration
	usage  func() int64 // total use since start; nil for static limits
	start  time.Time
	base   int64 // usage at the start of the window
}

func newLimits(clock Clock, maxes map[string]int64, stats *counters) *limits {
	l := &limits{clock: clock, entries: make(map[string]*limitEntry)}
	usage := map[string]func() int64{
		LimitDailyAPIRequests:              l.apiRequests.Load,
		LimitDailyBulkV2QueryJobs:          l.bulkJobs.Load,
		LimitDailyDeliveredPlatformEvents:  stats.delivered.Load,
		LimitHourlyPublishedPlatformEvents: stats.published.Load,
	}
	now := clock.Now()
	for name, d := range defaultLimits {
		l.entries[name] = &limitEntry{max: d.max, window: d.window, usage: usage[name], start: now}
	}
	for name, m := range maxes {
		e, ok := l.entries[name]
		if !ok {
			e = &limitEntry{start: now}
			l.entries[name] = e
		}
		e.max = m
	}
	return l
}

// roll starts a new window for e if its window has ended. l.mu is held.
func (l *limits) roll(e *limitEntry, now time.Time) {
	if e.usage == nil || now.Before(e.start.Add(e.window)) {
		return
	}
	e.start, e.base = now, e.usage()
}

// get returns the limit name; l.mu is held.
func (l *limits) get(name string, now time.Time) (Limit, bool) {
	e, ok := l.entries[name]
	if !ok {
		return Limit{}, false
	}
	if e.usage == nil {
		return Limit{Max: e.max, Remaining: e.max}, true
	}
	l.roll(e, now)
	return Limit{Max: e.max, Remaining: max(e.max-(e.usage()-e.base), 0)}, true
}

// remaining returns the Remaining of the limit name.
func (l *limits) remaining(name string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, _ := l.get(name, l.clock.Now())
	return lim.Remaining
}

func (l *limits) all() map[string]Limit {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	out := make(map[string]Limit, len(l.entries))
	for name := range l.entries {
		out[name], _ = l.get(name, now)
	}
	return out
}

// Limits returns the org limits as /limits reports them, by name.
func (s *Server) Limits() map[string]Limit { return maps.Clone(s.limits.all()) }

// SetLimit sets the Max of the limit name, adding the limit if /limits
// does not list it yet; use in the current window is kept.
func (s *Server) SetLimit(name string, maxValue int64) {
	s.limits.mu.Lock()
	defer s.limits.mu.Unlock()
	e, ok := s.limits.entries[name]
	if !ok {
		e = &limitEntry{start: s.limits.clock.Now()}
		s.limits.entries[name] = e
	}
	e.max = maxValue
}

// ExhaustLimit uses up what remains of the counted limit name in its
// current window, as if the traffic had happened: for
// [LimitDailyDeliveredPlatformEvents] this is the fault switch that makes
// Subscribe fail with subscription.limit.exceeded. It does nothing for a
// limit that is not counted.
func (s *Server) ExhaustLimit(name string) {
	s.limits.mu.Lock()
	defer s.limits.mu.Unlock()
	e, ok := s.limits.entries[name]
	if !ok || e.usage == nil {
		return
	}
	s.limits.roll(e, s.limits.clock.Now())
	e.base = e.usage() - e.max
}

// ResetLimits starts a new window for every counted limit, as if a day
// (or an hour) had passed: every Remaining goes back to its Max.
func (s *Server) ResetLimits() {
	s.limits.mu.Lock()
	defer s.limits.mu.Unlock()
	now := s.limits.clock.Now()
	for _, e := range s.limits.entries {
		if e.usage != nil {
			e.start, e.base = now, e.usage()
		}
	}
}
