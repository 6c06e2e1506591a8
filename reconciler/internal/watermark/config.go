package watermark

import (
	"cmp"
	"fmt"
)

// Field is one required field of a worker's Config: the name its error
// gives it and whether it is set. Make one with [Need].
type Field struct {
	name string
	set  bool
}

// Need returns the required field called name, set or not.
func Need(name string, set bool) Field { return Field{name: name, set: set} }

// Required is the Validate of a worker's Config: it returns
// "<worker>: no <name>" for the first of fields that is not set, or nil.
func Required(worker string, fields ...Field) error {
	for _, f := range fields {
		if !f.set {
			return fmt.Errorf("%s: no %s", worker, f.name)
		}
	}
	return nil
}

// Default sets *p to def when it is zero or negative: the default of a
// worker's Interval, Overlap or size.
func Default[T cmp.Ordered](p *T, def T) {
	var zero T
	if *p <= zero {
		*p = def
	}
}
