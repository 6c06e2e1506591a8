package svcconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sfsync/sfsync/schemas/internal/lines"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// ErrInvalid is wrapped by every configuration error: a
// *[ValidationError] unwraps to it.
var ErrInvalid = errors.New("invalid configuration")

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Where is "file:line", "$VARIABLE" for an environment override, the
	// file alone when the key is absent, or "" when unknown.
	Where string
	// Path is the key, e.g. "kafka.sasl.mechanism" or "kafka.brokers[1]";
	// "" for problems of the file as a whole.
	Path string
	// Message says what is wrong; it never contains a secret.
	Message string
}

// String returns "where: path: message".
func (p Problem) String() string {
	s := p.Message
	if p.Path != "" {
		s = p.Path + ": " + s
	}
	if p.Where != "" {
		s = p.Where + ": " + s
	}
	return s
}

// ValidationError lists every problem of a configuration, one per line.
// It wraps [ErrInvalid].
type ValidationError struct {
	// Service is the service whose configuration this is, from
	// [Options.Service], e.g. "producer"; "" when not given.
	Service string
	// Problems are in file order, then the others in the order found.
	Problems []Problem
}

// Error returns the problems, one per line.
func (e *ValidationError) Error() string {
	return lines.Join(e.Problems)
}

// Unwrap returns [ErrInvalid].
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Checker collects problems, for a configuration's Validate. Its
// methods check the settings every service has; messages are the same
// in every service. The zero value is ready to use; a Checker is not
// safe for concurrent use.
type Checker struct {
	// Problems are those found so far, in the order found.
	Problems []Problem
}

// Add records problems found elsewhere, such as [Salesforce.Problems].
func (k *Checker) Add(ps ...Problem) { k.Problems = append(k.Problems, ps...) }

// Bad records a problem of the setting at path.
func (k *Checker) Bad(path, format string, args ...any) {
	k.Problems = append(k.Problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// Err returns a *[ValidationError] of the problems, or nil without any.
func (k *Checker) Err() error {
	if len(k.Problems) == 0 {
		return nil
	}
	return &ValidationError{Problems: k.Problems}
}

// HostPort checks that addr is host:port with a port.
func (k *Checker) HostPort(path, addr string) {
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		k.Bad(path, "must be host:port, got %q", addr)
	}
}

// Positive checks that d is above zero.
func (k *Checker) Positive(path string, d time.Duration) {
	if d <= 0 {
		k.Bad(path, "must be > 0, got %s", d)
	}
}

// AtLeast checks that n >= least.
func (k *Checker) AtLeast(path string, n, least int) {
	if n < least {
		k.Bad(path, "must be >= %d, got %d", least, n)
	}
}

// OneOf checks that got is one of allowed.
func (k *Checker) OneOf(path, got string, allowed ...string) {
	if !slices.Contains(allowed, got) {
		k.Bad(path, "must be one of %s, got %q", strings.Join(allowed, ", "), got)
	}
}

// Secret checks that a set secret has no surrounding spaces, a common
// copy-and-paste slip; it never quotes the secret.
func (k *Checker) Secret(path string, s Secret) {
	if s != "" && strings.TrimSpace(string(s)) != string(s) {
		k.Bad(path, "must not have surrounding spaces")
	}
}

// Logging checks log_level (debug, info, warn or error) and log_format
// (text or json).
func (k *Checker) Logging(level, format string) {
	k.OneOf("log_level", level, "debug", "info", "warn", "error")
	k.OneOf("log_format", format, "text", "json")
}

// Mapping loads the mapping file named by the setting at path and
// returns it, or records why it cannot: the setting is required, and the
// mapping's own problems keep their file:line:column.
func (k *Checker) Mapping(path, file string) *mapping.Mapping {
	if file == "" {
		k.Bad(path, "is required: the mapping file naming the objects to sync")
		return nil
	}
	m, err := mapping.Load(file)
	var ve *mapping.ValidationError
	switch {
	case err == nil:
		return m
	case errors.As(err, &ve):
		for _, p := range ve.Problems {
			k.Problems = append(k.Problems, Problem{Where: p.Pos.String(), Message: p.Message})
		}
	default:
		k.Bad(path, "%s", FileError(file, err))
	}
	return nil
}

// Topic is a Kafka topic a service writes or reads, with the setting
// naming it.
type Topic struct {
	Path, Name string
}

// Topics checks that each topic is a valid Kafka topic name and is not
// already in used, which maps topics to what they already are ("the
// mapping's topic of Account", or a key path); it adds each to used,
// under its path. used may be nil.
func (k *Checker) Topics(used map[string]string, topics ...Topic) {
	if used == nil {
		used = map[string]string{}
	}
	for _, t := range topics {
		if msg := TopicProblem(t.Name); msg != "" {
			k.Bad(t.Path, "%s", msg)
			continue
		}
		if by, ok := used[t.Name]; ok {
			k.Bad(t.Path, "%q is already %s", t.Name, by)
			continue
		}
		used[t.Name] = t.Path
	}
}

var topicName = regexp.MustCompile(`^[a-zA-Z0-9._-]{1,249}$`)

// TopicProblem says what is wrong with a Kafka topic name, or "".
func TopicProblem(t string) string {
	if !topicName.MatchString(t) || t == "." || t == ".." {
		return fmt.Sprintf("must be a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -), got %q", t)
	}
	return ""
}

// URLProblem says that the connection string u is not what want
// describes ("a Redis URL such as redis://127.0.0.1:6379/0"), given the
// error of the client library that parsed it, without quoting u's
// password: u shows redacted, a *url.Error (which quotes its input)
// only as "does not parse", and an error wrapping another (as pgconn's
// ParseConfigError wraps its cause and quotes the input) only by what it
// wraps.
func URLProblem(want string, u URL, err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return "must be " + want + "; it does not parse as a URL"
	}
	if w, ok := err.(interface{ Unwrap() error }); ok {
		if inner := w.Unwrap(); inner != nil {
			return fmt.Sprintf("must be %s, got %s: %v", want, u.Redacted(), inner)
		}
		return fmt.Sprintf("must be %s, got %s", want, u.Redacted())
	}
	return fmt.Sprintf("must be %s, got %s: %v", want, u.Redacted(), err)
}

// FileError describes a file that cannot be read, without Go's op
// prefix: "cannot read key.pem: no such file or directory".
func FileError(path string, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("cannot read %s: %v", path, pe.Err)
	}
	return fmt.Sprintf("cannot read %s: %v", path, err)
}

// MetricsWarnings returns the start-up warning for a metrics_addr that
// serves beyond this host, or nothing when addr is loopback or public
// (the metrics_public setting) says that is intended, as in a
// Kubernetes pod whose probes and scrapes arrive on its pod IP.
func MetricsWarnings(addr string, public bool) []string {
	if public || Loopback(addr) {
		return nil
	}
	return []string{"metrics_addr: metrics are served beyond this host on " + addr + " (set metrics_public: true if intended)"}
}

// Loopback reports whether the host of addr is a loopback address or
// localhost: a metrics_addr that is not is worth a warning.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && loopbackHost(host)
}

// loopbackHost reports whether host, without a port, is a loopback
// address or localhost.
func loopbackHost(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}
