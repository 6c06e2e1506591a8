package svcconfig

import (
	"time"

	"github.com/sfsync/sfsync/schemas/mapping"
)

// Defaults of the [Runtime] settings every service shares; the shutdown
// timeout and the metrics address are each service's own.
const (
	DefaultLogLevel  = "info"
	DefaultLogFormat = "text"
)

// Runtime is the section of the process settings every service's
// configuration has at its top level, inlined (`yaml:",inline"`) at the
// end of its Config: how long shutdown may take, where metrics and
// health are served, and the log. Its keys and messages are part of the
// configuration format.
type Runtime struct {
	// ShutdownTimeout bounds how long the work in progress may take to
	// finish after SIGTERM; each service names its default.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// MetricsAddr is the host:port serving /metrics, /healthz and
	// /readyz; each service's default is a loopback address of its own.
	MetricsAddr string `yaml:"metrics_addr"`
	// MetricsPublic says that a MetricsAddr beyond loopback, such as
	// 0.0.0.0:9464 in a Kubernetes pod, is intended: it is then not
	// warned about at start. The default is false.
	MetricsPublic bool `yaml:"metrics_public"`
	// LogLevel is debug, info, warn or error; the default is info.
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json; the default is text.
	LogFormat string `yaml:"log_format"`
}

// SetDefaults gives the zero settings of r their defaults, the service's
// shutdown timeout and metrics address among them.
func (r *Runtime) SetDefaults(shutdownTimeout time.Duration, metricsAddr string) {
	SetDefault(&r.ShutdownTimeout, shutdownTimeout)
	SetDefault(&r.MetricsAddr, metricsAddr)
	SetDefault(&r.LogLevel, DefaultLogLevel)
	SetDefault(&r.LogFormat, DefaultLogFormat)
}

// Check adds the problems of r to k, by their top-level key paths.
func (r *Runtime) Check(k *Checker) {
	k.Positive("shutdown_timeout", r.ShutdownTimeout)
	k.HostPort("metrics_addr", r.MetricsAddr)
	k.Logging(r.LogLevel, r.LogFormat)
}

// MetricsWarnings returns the warning about a MetricsAddr beyond
// loopback that MetricsPublic does not acknowledge; see
// [MetricsWarnings].
func (r *Runtime) MetricsWarnings() []string { return MetricsWarnings(r.MetricsAddr, r.MetricsPublic) }

// Process returns r: the process settings of the configuration that
// inlines r, for code that takes any service's configuration.
func (r *Runtime) Process() *Runtime { return r }

// MappingSection is the setting every service's configuration starts
// with, inlined (`yaml:",inline"`) first in its Config: the mapping file
// and, once checked, the mapping it holds.
type MappingSection struct {
	// Mapping is the mapping read from MappingFile by Check; nil until
	// then.
	Mapping *mapping.Mapping `yaml:"-"`
	// MappingFile is the mapping file (see package mapping), relative to
	// the configuration file's directory; required.
	MappingFile string `yaml:"mapping" svcconfig:"file"`
}

// Check reads and checks the mapping file into m.Mapping, adding its
// problems to k.
func (m *MappingSection) Check(k *Checker) { m.Mapping = k.Mapping("mapping", m.MappingFile) }
