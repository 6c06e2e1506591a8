package svcconfig_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfsync/sfsync/schemas/svcconfig"
	"github.com/sfsync/sfsync/schemas/svcconfig/conformance"
)

// FuzzParse feeds arbitrary bytes to the YAML loader: it must never
// panic, must fail only with a *ValidationError whose every line names a
// place or a key, and must accept only what the checks accept.
func FuzzParse(f *testing.F) {
	base := svcconfig.TestBase
	f.Add(strings.ReplaceAll(base, "{{mapping}}", svcconfig.TestMappingFile()))
	f.Add(base + "tuning: {size: 1_0, repair: false, every: 0s}\npartitions: {a: 1, a: 2}\n")
	f.Add("a: &x [1, *x]\n---\n")
	f.Add("salesforce: {org_id: !!str 1, ca_file: [x]}\n<<: {a: 1}\n")
	f.Add("salesforce:\n  client_secret: |\n    multi\n    line\n")
	f.Add("postgres: {url: \"host=h password='x y'\"}\ntopics: [a, {b: c}]\n")
	name := filepath.Join(f.TempDir(), "service.yaml")
	f.Fuzz(func(t *testing.T, data string) {
		check, err := svcconfig.ParseTestConfig(name, []byte(data))
		conformance.Parsed(t, err, check)
	})
}
