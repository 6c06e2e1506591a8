package pipeline

import "sync"

// readiness decides whether the consumer is ready: it owns a consumer
// group generation and none of its partition readers is failing. It
// calls report with each new answer. It is safe for concurrent use.
type readiness struct {
	report func(bool) // nil reports nothing

	mu      sync.Mutex
	inGen   bool // owns a generation
	failing int  // partition readers failing, restarting
}

// setGeneration records whether the consumer owns a generation.
func (r *readiness) setGeneration(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inGen = on
	r.send()
}

// readerFailed records a reader that starts failing (+1) or reads again
// (-1).
func (r *readiness) readerFailed(delta int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failing += delta
	r.send()
}

func (r *readiness) send() {
	if r.report != nil {
		r.report(r.inGen && r.failing == 0)
	}
}
