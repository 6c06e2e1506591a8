package sffake

import "sync/atomic"

// Stats are counters of the emulator's traffic since start.
type Stats struct {
	// EventsDelivered counts events sent to Subscribe streams; like
	// Salesforce's delivery allocation it counts each event once per
	// subscriber.
	EventsDelivered int64
	// EventsPublished counts platform events published, through Publish,
	// PublishStream, [Server.PublishEvent] or triggers.
	EventsPublished int64
	// ChangeEvents counts change events generated (once per event, though
	// each is stored on two topics).
	ChangeEvents int64
	// Subscriptions is the number of Subscribe streams open now.
	Subscriptions int64
	// StalledStreams is the number of open Subscribe streams that
	// [Server.StallStreams] silenced.
	StalledStreams int64
}

type counters struct {
	delivered, published, changes, subs, stalled atomic.Int64
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	return Stats{
		EventsDelivered: s.stats.delivered.Load(),
		EventsPublished: s.stats.published.Load(),
		ChangeEvents:    s.stats.changes.Load(),
		Subscriptions:   s.stats.subs.Load(),
		StalledStreams:  s.stats.stalled.Load(),
	}
}
