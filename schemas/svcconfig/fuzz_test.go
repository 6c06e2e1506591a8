package svcconfig

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the YAML loader: it must never
// panic, must fail only with a *ValidationError whose every line names a
// place or a key, and must accept only what the checks accept.
func FuzzParse(f *testing.F) {
	f.Add(strings.ReplaceAll(base, "{{mapping}}", mappingFile()))
	f.Add(base + "tuning: {size: 1_0, repair: false, every: 0s}\npartitions: {a: 1, a: 2}\n")
	f.Add("a: &x [1, *x]\n---\n")
	f.Add("salesforce: {org_id: !!str 1, ca_file: [x]}\n<<: {a: 1}\n")
	f.Add("salesforce:\n  client_secret: |\n    multi\n    line\n")
	f.Add("postgres: {url: \"host=h password='x y'\"}\ntopics: [a, {b: c}]\n")
	dir := f.TempDir()
	name := filepath.Join(dir, "service.yaml")
	f.Fuzz(func(t *testing.T, data string) {
		c := &testConfig{}
		err := Parse(name, []byte(data), c, c.options(nil))
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error %T %v", err, err)
			}
			for _, p := range ve.Problems {
				if p.Where == "" && p.Path == "" || p.Message == "" {
					t.Fatalf("unplaced problem %+v", p)
				}
			}
			return
		}
		if ps := c.check(); len(ps) > 0 {
			t.Fatalf("Parse accepted what the checks refuse: %v", ps)
		}
		_ = Format(c)
	})
}
