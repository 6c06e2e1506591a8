package lines_test

import (
	"testing"

	"github.com/sfsync/sfsync/schemas/internal/lines"
)

type item string

func (i item) String() string { return "<" + string(i) + ">" }

func TestJoin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		items    []item
		want     string
	}{
		{scenario: "none", want: ""},
		{scenario: "one", items: []item{"a"}, want: "<a>"},
		{scenario: "several, one a line", items: []item{"a", "b", "c"}, want: "<a>\n<b>\n<c>"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			if got := lines.Join(tc.items); got != tc.want {
				t.Fatalf("Join = %q, want %q", got, tc.want)
			}
		})
	}
}
