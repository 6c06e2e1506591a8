package svcconfig

// Names of this package's tests for its external ones.
var (
	TestBase        = base
	TestMappingFile = mappingFile
)

// ParseTestConfig parses data as the tests' configuration type, which
// uses every kind of setting, and returns its checks, after formatting
// it.
func ParseTestConfig(name string, data []byte) (check func() error, err error) {
	c := &testConfig{}
	err = Parse(name, data, c, c.options(nil))
	return func() error {
		_ = Format(c)
		if ps := c.check(); len(ps) > 0 {
			return &ValidationError{Service: "test", Problems: ps}
		}
		return nil
	}, err
}
