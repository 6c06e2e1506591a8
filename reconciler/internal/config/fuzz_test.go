package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the YAML loader: it must never
// panic, must fail only with a *ValidationError whose every line names a
// place or a key, and must accept only what Validate accepts.
func FuzzLoad(f *testing.F) {
	example, err := os.ReadFile("../../reconciler.example.yaml")
	if err != nil {
		f.Fatal(err)
	}
	mapping, err := filepath.Abs("../../../schemas/mappings/territory.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(strings.Replace(string(example), "../schemas/mappings/territory.yaml", mapping, 1))
	f.Add(strings.ReplaceAll(base, "{{mapping}}", mapping))
	f.Add(base + "  sasl: {mechanism: SCRAM}\nverify: {full_every: 0s, repair: false}\n")
	f.Add("a: &x [1, *x]\n---\n")
	f.Add("kafka: {brokers: !!str 1, tls: [x]}\n<<: {a: 1}\n")
	f.Add("postgres:\n  url: |\n    postgres://u:pw@h/db\n    line\n")
	dir := f.TempDir()
	name := filepath.Join(dir, "reconciler.yaml")
	f.Fuzz(func(t *testing.T, data string) {
		c, err := Parse(name, []byte(data), nil)
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
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate refuses: %v", err)
		}
		_ = c.String()
	})
}
