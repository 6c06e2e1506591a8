package avroframe

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestVersions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scenario string
		files    fstest.MapFS
		want     []Version
		err      string
	}{
		{scenario: "sorted by number, not by name", files: fstest.MapFS{
			"c_v10.avsc": {Data: []byte("ten")}, "c_v2.avsc": {Data: []byte("two")}, "c_v1.avsc": {Data: []byte("one")},
		}, want: []Version{{1, "one"}, {2, "two"}, {10, "ten"}}},
		{scenario: "another file", files: fstest.MapFS{"c_v1.avsc": {}, "d_v1.avsc": {}}, err: "schema file d_v1.avsc is not named c_vN.avsc"},
		{scenario: "version zero", files: fstest.MapFS{"c_v0.avsc": {}}, err: "schema file c_v0.avsc is not named c_vN.avsc"},
		{scenario: "none", files: fstest.MapFS{}, err: "no embedded schema"},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			got, err := Versions(tt.files, "c")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Versions error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Versions = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("Versions = %v, want %v", got, tt.want)
				}
			}
		})
	}
}
