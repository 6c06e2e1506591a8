package backfill

import (
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"golang.org/x/term"
)

// isTerminal reports whether w writes to a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// redrawEvery bounds how often a terminal line is redrawn.
const redrawEvery = 200 * time.Millisecond

// progress shows the progress of one object at a time: a line redrawn
// in place on a terminal, plain lines every interval otherwise. It is
// safe for concurrent use.
type progress struct {
	out      io.Writer
	tty      bool
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	object  string
	method  string
	total   int64 // -1 when unknown
	done    int64
	base    int64 // done when this attempt started
	started time.Time
	printed time.Time
}

// begin starts showing obj, of which done records were published before
// (a resumed object).
func (p *progress) begin(obj, method string, done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.object, p.method, p.done, p.base, p.total, p.started, p.printed = obj, method, done, done, total, now, now
	if p.tty {
		p.draw(now)
		return
	}
	what := "starting"
	if done > 0 {
		what = "resuming at " + count(done)
	}
	fmt.Fprintf(p.out, "backfill %s: %s (%s, %s records)\n", obj, what, method, p.totalText())
}

// add counts n more published records.
func (p *progress) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += int64(n)
	now := p.now()
	switch {
	case p.tty && now.Sub(p.printed) >= redrawEvery:
		p.draw(now)
	case !p.tty && now.Sub(p.printed) >= p.interval:
		fmt.Fprintf(p.out, "backfill %s: %s\n", p.object, p.status(now))
	default:
		return
	}
	p.printed = now
}

// end finishes the object's line.
func (p *progress) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.tty {
		p.draw(now)
		fmt.Fprintln(p.out)
		return
	}
	fmt.Fprintf(p.out, "backfill %s: done, %s records in %s (%s records/s)\n",
		p.object, count(p.done), now.Sub(p.started).Round(time.Second), count(int64(p.rate(now))))
}

// note writes a line of its own, between objects.
func (p *progress) note(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "backfill: "+format+"\n", args...)
}

// skip reports an object finished by an earlier attempt.
func (p *progress) skip(obj string, done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "backfill %s: already done (%s records)\n", obj, count(done))
}

func (p *progress) draw(now time.Time) {
	fmt.Fprintf(p.out, "\r\x1b[K%-28s %s", p.object, p.status(now))
}

// status renders done / total (percent), records/s and the time left.
func (p *progress) status(now time.Time) string {
	s := count(p.done)
	if p.total >= 0 {
		s += " / " + count(p.total)
		if p.total > 0 {
			s += fmt.Sprintf(" (%.1f%%)", 100*float64(p.done)/float64(p.total))
		}
	}
	s += " records"
	rate := p.rate(now)
	s += ", " + count(int64(rate)) + " records/s"
	if p.total >= 0 && rate > 0 {
		left := time.Duration(float64(max(p.total-p.done, 0)) / rate * float64(time.Second))
		s += ", ETA " + left.Round(time.Second).String()
	}
	return s
}

// rate is the records published per second by this attempt.
func (p *progress) rate(now time.Time) float64 {
	el := now.Sub(p.started).Seconds()
	if el <= 0 {
		return 0
	}
	return float64(p.done-p.base) / el
}

func (p *progress) totalText() string {
	if p.total < 0 {
		return "?"
	}
	return count(p.total)
}

// count renders n with thousands separators: 1,234,567.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
