package mapping

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sfsync/sfsync/schemas/internal/typo"
)

// Identifier rules. Names from a mapping end up in SQL (always quoted) and
// in Kafka and Pub/Sub topic names, so they are held to safe subsets:
//
//   - Salesforce API names (objects and fields): a letter, then letters and
//     digits in parts joined by one or two underscores, not ending in an
//     underscore. Salesforce's own rule for custom names is single
//     underscores; the double ones join a namespace prefix and a suffix:
//     Account, Territory_Key__c, acme__Region__c.
//   - PostgreSQL tables and columns: lower-case letters, digits and
//     underscores, starting with a letter or underscore, at most 63 bytes
//     (PostgreSQL truncates longer names). Lower case only, so that the
//     quoted name sfsync uses and the unquoted name a person types in psql
//     are the same. Tables may not start with sfsync_ (sfsync's own tables,
//     such as sfsync_consumer_offsets) and columns may not start with _sf_
//     or _sfsync (its bookkeeping columns, such as _sf_versions).
//   - Kafka topics: 1 to 249 letters, digits, '.', '_' and '-', not "." or
//     "..", as Kafka requires.
//   - Pub/Sub topics: /data/ChangeEvents, /data/<Object>ChangeEvent,
//     /data/<Name>__ChangeEvent, /data/<Channel>__chn, or /event/<Name> for
//     platform events and their channels (Order_Event__e, Sales__chn).
var (
	apiName    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(__?[A-Za-z0-9]+)*$`)
	sqlName    = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
	kafkaTopic = regexp.MustCompile(`^[A-Za-z0-9._-]{1,249}$`)
)

// Prefixes of the names of sfsync's own tables and of the columns it adds
// to every object table; a mapping may not take them.
var (
	reservedTablePrefixes  = []string{"sfsync_"}
	reservedColumnPrefixes = []string{"_sf_", "_sfsync"}
)

// reserved returns the prefix of prefixes that name starts with, or "".
func reserved(name string, prefixes []string) string {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return p
		}
	}
	return ""
}

const (
	apiNameRule = "want a Salesforce API name: a letter, then letters, digits and underscores (at most two in a row, none at the end), such as Account or Territory_Key__c"
	sqlNameRule = "want a PostgreSQL name of lower-case letters, digits and underscores, starting with a letter or underscore, at most 63 characters"
)

func checkAPIName(what, name string) error {
	if !apiName.MatchString(name) {
		return fmt.Errorf("bad %s %q: %s", what, name, apiNameRule)
	}
	return nil
}

func checkTable(name string) error {
	if !sqlName.MatchString(name) {
		return fmt.Errorf("bad table name %q: %s", name, sqlNameRule)
	}
	if p := reserved(name, reservedTablePrefixes); p != "" {
		return fmt.Errorf("bad table name %q: the prefix %s is reserved for sfsync's own tables", name, p)
	}
	return nil
}

func checkColumn(name string) error {
	if !sqlName.MatchString(name) {
		return fmt.Errorf("bad column name %q: %s", name, sqlNameRule)
	}
	if p := reserved(name, reservedColumnPrefixes); p != "" {
		return fmt.Errorf("bad column name %q: the prefix %s is reserved for sfsync's own columns", name, p)
	}
	return nil
}

// checkSource checks a change-event path: a field name, or a compound
// field and one of its components.
func checkSource(path string) error {
	parts := strings.Split(path, ".")
	if len(parts) > 2 {
		return fmt.Errorf("bad source %q: want a field name or Compound.Component, such as BillingAddress.Street", path)
	}
	for _, part := range parts {
		if !apiName.MatchString(part) {
			return fmt.Errorf("bad source %q: want a field name or Compound.Component, such as BillingAddress.Street", path)
		}
	}
	return nil
}

func checkKafkaTopic(name string) error {
	if !kafkaTopic.MatchString(name) || name == "." || name == ".." {
		return fmt.Errorf("bad kafka_topic %q: want 1 to 249 letters, digits, '.', '_' or '-'", name)
	}
	return nil
}

const topicRule = "want a Pub/Sub topic such as /data/AccountChangeEvent, /data/Employee__ChangeEvent, /data/ChangeEvents, /data/Sales__chn or /event/Territory_Change__e"

// checkTopic checks the form of a Pub/Sub topic name, and that a
// single-object change event topic carries object.
func checkTopic(topic, object string) error {
	var channel string
	switch {
	case strings.HasPrefix(topic, "/data/"):
		channel = strings.TrimPrefix(topic, "/data/")
		if !apiName.MatchString(channel) {
			return fmt.Errorf("bad topic %q: %s", topic, topicRule)
		}
		if carried, ok := changeEventObject(channel); ok {
			if !strings.EqualFold(carried, object) {
				return fmt.Errorf("topic %s carries %s change events, not %s", topic, carried, object)
			}
			return nil
		}
		if channel != "ChangeEvents" && !strings.HasSuffix(channel, "__chn") {
			return fmt.Errorf("bad topic %q: %s", topic, topicRule)
		}
	case strings.HasPrefix(topic, "/event/"):
		channel = strings.TrimPrefix(topic, "/event/")
		if !apiName.MatchString(channel) {
			return fmt.Errorf("bad topic %q: %s", topic, topicRule)
		}
	default:
		return fmt.Errorf("bad topic %q: %s", topic, topicRule)
	}
	return nil
}

// changeEventObject returns the object whose change events a /data/
// channel carries alone: AccountChangeEvent carries Account,
// Employee__ChangeEvent carries Employee__c.
func changeEventObject(channel string) (string, bool) {
	if base, ok := strings.CutSuffix(channel, "__ChangeEvent"); ok && base != "" {
		return base + "__c", true
	}
	if base, ok := strings.CutSuffix(channel, "ChangeEvent"); ok && base != "" && !strings.HasSuffix(base, "_") {
		return base, true
	}
	return "", false
}

// defaultTopic returns the change event topic of an object:
// /data/<Object>ChangeEvent for standard objects and
// /data/<Name>__ChangeEvent for custom objects (Name__c).
func defaultTopic(object string) string {
	if base, ok := strings.CutSuffix(object, "__c"); ok {
		return "/data/" + base + "__ChangeEvent"
	}
	return "/data/" + object + "ChangeEvent"
}

// defaultKafkaTopic returns sfsync.<object in lower case>.
func defaultKafkaTopic(object string) string {
	return "sfsync." + strings.ToLower(object)
}

// suggest returns the candidate closest to word, ignoring case, when it
// is within two edits, for "did you mean" hints.
func suggest(word string, candidates []string) string {
	return typo.Closest(word, candidates, 2)
}
