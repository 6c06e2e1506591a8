package svcconfig

// Service is one service's configuration conventions for its
// configuration type C: the service's name, its environment prefix, its
// defaults and its checks. A service's config package declares one and
// its Load, Parse, ApplyEnv and Validate are a line each. A Service is
// a plain value, safe for concurrent use once set.
type Service[C any] struct {
	// Name names the service, e.g. "producer": it is recorded in
	// [ValidationError.Service].
	Name string
	// EnvPrefix starts the name of every environment override, e.g.
	// SFSYNC_PRODUCER_; see [EnvName].
	EnvPrefix string
	// Defaults gives the zero settings of a C their defaults.
	Defaults func(*C)
	// Check returns the problems of a C, by key path; it may also set
	// what it derives from the settings, such as the mapping read from
	// the mapping file.
	Check func(*C) []Problem
}

// Default returns the C with every default and nothing else.
func (s Service[C]) Default() C {
	var c C
	s.Defaults(&c)
	return c
}

// SetDefault sets *p to v when *p is the zero value: the defaulting of
// one setting, for a Service's Defaults.
func SetDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Load reads the configuration file at path into a new C as [Load]
// does: the file, then the environment overrides that lookup finds
// (main passes os.LookupEnv), then Defaults and Check. Every problem is
// reported at once, as a *[ValidationError] placed by file and line or
// variable.
func (s Service[C]) Load(path string, lookup Lookup) (*C, error) {
	c := new(C)
	if err := Load(path, c, s.options(c, lookup)); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse is [Service.Load] for data read from a file called name.
func (s Service[C]) Parse(name string, data []byte, lookup Lookup) (*C, error) {
	c := new(C)
	if err := Parse(name, data, c, s.options(c, lookup)); err != nil {
		return nil, err
	}
	return c, nil
}

// ApplyEnv overrides c's settings with the environment variables that
// lookup finds, as [ApplyEnv] does.
func (s Service[C]) ApplyEnv(c *C, lookup Lookup) error { return ApplyEnv(c, s.options(c, lookup)) }

// Validate returns a *[ValidationError] listing every problem Check
// finds in c, by key path and without a place, or nil.
func (s Service[C]) Validate(c *C) error {
	if ps := s.Check(c); len(ps) > 0 {
		return &ValidationError{Service: s.Name, Problems: ps}
	}
	return nil
}

// EnvName returns the environment variable overriding the key path; see
// [EnvName].
func (s Service[C]) EnvName(path string) string { return EnvName(s.EnvPrefix, path) }

// EnvNames returns every environment variable [Service.ApplyEnv] reads.
func (s Service[C]) EnvNames() []string { return EnvNames(s.EnvPrefix, new(C)) }

// LoadEnv is [Service.Load] for main: it also refuses the variables of
// environ ("NAME=value" entries, as os.Environ returns them) that start
// with EnvPrefix and override no setting, as [UnknownEnv] does.
func (s Service[C]) LoadEnv(path string, lookup Lookup, environ []string) (*C, error) {
	c, err := s.Load(path, lookup)
	if err != nil {
		return nil, err
	}
	if err := UnknownEnv(s.Name, s.EnvPrefix, c, environ); err != nil {
		return nil, err
	}
	return c, nil
}

// options are s's [Options] for c.
func (s Service[C]) options(c *C, lookup Lookup) Options {
	o := Options{Service: s.Name, EnvPrefix: s.EnvPrefix, Env: lookup}
	if s.Defaults != nil {
		o.Defaults = func() { s.Defaults(c) }
	}
	if s.Check != nil {
		o.Check = func() []Problem { return s.Check(c) }
	}
	return o
}
