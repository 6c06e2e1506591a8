// Package svcconfig holds the conventions every sfsync service's
// configuration follows, so that each service writes only its own
// settings: one YAML file plus SFSYNC_<SERVICE>_<KEY PATH> environment
// overrides, decoded onto a plain Go struct and validated with messages
// naming the file and line, or the variable, of every problem, and
// suggesting the key meant when one is misspelt.
//
// A service declares its Config as nested structs whose fields carry
// `yaml:"key"` tags (settings are strings, booleans, ints,
// [time.Duration], string lists, and maps of Kafka topic to partition
// count; a pointer to a bool, int or duration tells an absent setting,
// nil until its default is given, from its zero value), marks the settings naming files with `svcconfig:"file"` (taken
// relative to the configuration file's directory), and may embed shared
// sections with `yaml:",inline"`: [MappingSection] (mapping) first,
// [Runtime] (shutdown_timeout, metrics_addr, metrics_public, log_level,
// log_format) last. It
// declares a [Service] naming its environment prefix, its defaults and
// its checks, whose Load, Parse, ApplyEnv and Validate are its own, and
// formats itself with [Format] and [LogValue].
//
// The parts shared by the services live here too: the [Salesforce]
// connection settings (Pub/Sub endpoint, OAuth grant or static token)
// and their checks, and [Checker] for the checks every service makes
// (host:port, durations, topic names, the mapping file, logging). The
// sections that come with their own runtime code live beside it in the
// platform module: the kafka connection settings with the kafka-go
// transports they make (github.com/sfsync/sfsync/platform/kafkaconf),
// the schema_registry settings with the registry client
// (github.com/sfsync/sfsync/platform/registry); and platform/sflogin
// turns [Salesforce] into the salesforce module's login configuration.
//
// Secrets never print: a [Secret] shows as "[REDACTED]", and a [URL]
// with its password masked, with every fmt verb, in log/slog, in JSON,
// and in [Format] and [LogValue]. Problems never quote a secret.
package svcconfig
