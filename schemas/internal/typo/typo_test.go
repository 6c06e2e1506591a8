package typo_test

import (
	"strings"
	"testing"

	"github.com/sfsync/sfsync/schemas/internal/typo"
)

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		scenario string
		a, b     string
		want     int
	}{
		{scenario: "equal", a: "name", b: "name", want: 0},
		{scenario: "empty", a: "", b: "abc", want: 3},
		{scenario: "one substitution", a: "name", b: "nome", want: 1},
		{scenario: "one insertion", a: "name", b: "names", want: 1},
		{scenario: "one deletion", a: "name", b: "nme", want: 1},
		{scenario: "an adjacent swap is one edit", a: "topic", b: "toipc", want: 1},
		{scenario: "unrelated", a: "kitten", b: "sitting", want: 3},
		{scenario: "too long", a: strings.Repeat("a", 65), b: "a", want: 64},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			if got := typo.Distance(tt.a, tt.b); got != tt.want {
				t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := typo.Distance(tt.b, tt.a); got != tt.want {
				t.Errorf("Distance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	t.Parallel()
	candidates := []string{"BillingCity", "Name", "Phone"}
	for _, tt := range []struct {
		scenario, word string
		maxEdits       int
		want           string
	}{
		{scenario: "ignores case", word: "NAME", maxEdits: 2, want: "Name"},
		{scenario: "within the edits", word: "billingcty", maxEdits: 2, want: "BillingCity"},
		{scenario: "beyond the edits", word: "Industry", maxEdits: 2, want: ""},
		{scenario: "nearest wins", word: "Phon", maxEdits: 3, want: "Phone"},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			if got := typo.Closest(tt.word, candidates, tt.maxEdits); got != tt.want {
				t.Errorf("Closest(%q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}
