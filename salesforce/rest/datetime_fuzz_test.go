package rest

import (
	"testing"
	"time"
)

// FuzzParseDateTime checks that a datetime ParseDateTime accepts keeps
// its offset and reads back the same from the REST API's form, and that
// a date ParseDate accepts prints back as read.
func FuzzParseDateTime(f *testing.F) {
	for _, s := range []string{
		"2024-01-15T10:30:00.000+0000", "2024-01-15T10:30:00+0530", "2024-01-15T10:30:00.000Z",
		"2024-01-15T10:30:00.123456789-07:00", "2024-01-15T10:30:00Z", "2024-01-15", "2024-02-30T00:00:00Z",
		"2024-01-15T24:00:00Z", "0000-01-01T00:00:00.000+2359", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if tm, err := ParseDateTime(s); err == nil {
			_, offset := tm.Zone()
			again, err := ParseDateTime(tm.Format(dateTimeLayouts[0]))
			if err != nil {
				t.Fatalf("ParseDateTime(%q) = %v, whose REST form %q is refused: %v", s, tm, tm.Format(dateTimeLayouts[0]), err)
			}
			_, againOffset := again.Zone()
			if !again.Equal(tm.Truncate(time.Millisecond)) || againOffset != offset {
				t.Fatalf("ParseDateTime(%q) = %v, read back from %q as %v", s, tm, tm.Format(dateTimeLayouts[0]), again)
			}
		}
		if d, err := ParseDate(s); err == nil && d.String() != s {
			t.Fatalf("ParseDate(%q) = %v", s, d)
		}
	})
}
