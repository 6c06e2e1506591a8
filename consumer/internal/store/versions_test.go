package store

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/sfsync/sfsync/consumer/internal/apply"
	"github.com/sfsync/sfsync/schemas/mapping"
)

// TestVersionsRoundTrip encodes random records' versions and decodes them
// from the JSON as written and as PostgreSQL's jsonb writes it out (the
// fast parser), and from a form only encoding/json reads.
func TestVersionsRoundTrip(t *testing.T) {
	m, err := mapping.Parse("mapping.yaml", []byte(testMapping))
	if err != nil {
		t.Fatal(err)
	}
	obj := m.Object("Account")
	names := cellNames(obj)
	rapid.Check(t, func(rt *rapid.T) {
		var r apply.Record
		r.Cells = map[string]apply.Cell{}
		for _, n := range names {
			if rapid.IntRange(0, 3).Draw(rt, "set "+n) == 0 {
				continue
			}
			r.Cells[n] = apply.Cell{Version: apply.Version{
				Commit: rapid.Int64Range(1, 3).Draw(rt, "commit "+n) * 1_000_000_000_000,
				Seq:    int32(rapid.IntRange(0, 2).Draw(rt, "seq "+n)),
			}}
		}
		base, data := encodeVersions(&r, obj)
		var except map[string][2]int64
		if err := json.Unmarshal(data, &except); err != nil {
			rt.Fatalf("%s is not JSON: %v", data, err)
		}
		indented, _ := json.MarshalIndent(except, "", " ") // newlines: only encoding/json reads it
		for _, form := range [][]byte{data, jsonbText(except), indented} {
			var got apply.Record
			if err := decodeVersions(&got, obj, base, form); err != nil {
				rt.Fatalf("decode %s: %v", form, err)
			}
			for _, n := range names {
				if got.Cells[n].Version != r.Cells[n].Version {
					rt.Fatalf("%s from %s: version %v, want %v", n, form, got.Cells[n].Version, r.Cells[n].Version)
				}
			}
		}
	})
}

// jsonbText writes except as PostgreSQL writes a jsonb object out:
// {"Name": [150, 3], "Other": [7, 1]}.
func jsonbText(except map[string][2]int64) []byte {
	b := []byte{'{'}
	for i, n := range slices.Sorted(maps.Keys(except)) {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = fmt.Appendf(b, "%q: [%d, %d]", n, except[n][0], except[n][1])
	}
	return append(b, '}')
}

func TestParseVersions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string][2]int64
		ok   bool
	}{
		{`{}`, nil, true},
		{`{"Name": [150, 3]}`, map[string][2]int64{"Name": {150, 3}}, true},
		{`{"$deleted": [-1, 0], "Name": [9007199254740993, 2]}`, map[string][2]int64{"$deleted": {-1, 0}, "Name": {9007199254740993, 2}}, true},
		{`{"Na\u006de": [1, 2]}`, nil, false}, // an escape: encoding/json's
		{`{"Name": [1, 2]} x`, nil, false},
		{`{"Name": [1.5, 2]}`, nil, false},
		{`{"Name": [1, 2, 3]}`, nil, false},
		{`{"Name": [1234567890123456789, 2]}`, nil, false}, // 19 digits: encoding/json's
		{`[]`, nil, false},
	} {
		got, ok := parseVersions([]byte(tc.in))
		if ok != tc.ok || !maps.Equal(got, tc.want) {
			t.Errorf("parseVersions(%s) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
