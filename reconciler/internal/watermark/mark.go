package watermark

import "time"

// Mark is what a worker remembers of one object between passes: its
// watermark and the records it published stamped within the overlap
// before it. The zero Mark has not been loaded; [Table.Load] loads it.
// A Mark is not safe for concurrent use.
type Mark struct {
	// At is the watermark: the greatest stamp published, zero for none.
	At time.Time

	loaded bool
	// seen holds the stamp each record was published with, for the
	// records stamped within the overlap before At.
	seen map[string]time.Time
}

// From returns where the next pass starts reading: overlap before the
// watermark, or the zero time when there is none yet.
func (m *Mark) From(overlap time.Duration) time.Time {
	if m.At.IsZero() {
		return time.Time{}
	}
	return m.At.Add(-overlap)
}

// Published reports whether the record id was published with stamp at
// in an earlier step, so that reading it again in the overlap need not
// publish it again.
func (m *Mark) Published(id string, at time.Time) bool {
	ts, ok := m.seen[id]
	return ok && ts.Equal(at)
}

// Reset forgets everything: the next [Table.Load] reads the watermark
// again.
func (m *Mark) Reset() { *m = Mark{} }

// remember adds published to the records seen and forgets those stamped
// overlap or more before the watermark.
func (m *Mark) remember(published map[string]time.Time, overlap time.Duration) {
	if m.seen == nil {
		m.seen = make(map[string]time.Time, len(published))
	}
	for id, ts := range published {
		m.seen[id] = ts
	}
	floor := m.At.Add(-overlap)
	for id, ts := range m.seen {
		if !ts.After(floor) {
			delete(m.seen, id)
		}
	}
}
