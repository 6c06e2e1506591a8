package dlqcmd

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestPrint(t *testing.T) {
	t.Parallel()
	type item struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	row := func(it *item) []string { return []string{Cell(it.Name), strings.Repeat("x", it.N)} }
	for _, tc := range []struct {
		scenario, format string
		items            []item
		want             string
	}{
		{scenario: "table", format: "table", items: []item{{"a", 3}, {"", 1}},
			want: "NAME  XS\na     xxx\n-     x\n2 items\n"},
		{scenario: "empty table", format: "table", want: "NAME  XS\n2 items\n"},
		{scenario: "json", format: "json", items: []item{{"a", 3}}, want: "[\n  {\n    \"name\": \"a\",\n    \"n\": 3\n  }\n]\n"},
		{scenario: "empty json", format: "json", want: "[]\n"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			if err := Print(&out, tc.format, tc.items, []string{"NAME", "XS"}, row, "2 items"); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("got\n%q\nwant\n%q", out.String(), tc.want)
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	if got := OneLine("a\nb", 10); got != "a b" {
		t.Errorf("got %q", got)
	}
	if got := OneLine("ééééé", 3); got != "ééé…" {
		t.Errorf("got %q", got)
	}
	if got := Reason(strings.Repeat("r", 200)); len([]rune(got)) != 121 {
		t.Errorf("got %d runes", len([]rune(got)))
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	var ran string
	list := func(context.Context) error { ran = "list"; return nil }
	replay := func(context.Context) error { ran = "replay"; return errors.New("no kafka") }
	var stderr bytes.Buffer
	if code := (Command{Name: "list"}).Run(context.Background(), "p", &stderr, list, replay); code != 0 || ran != "list" {
		t.Errorf("list: exit %d, ran %s", code, ran)
	}
	if code := (Command{Name: "replay"}).Run(context.Background(), "p", &stderr, list, replay); code != 1 || ran != "replay" ||
		stderr.String() != "p dlq replay: no kafka\n" {
		t.Errorf("replay: exit %d, ran %s, stderr %q", code, ran, &stderr)
	}
}

func TestSpecMain(t *testing.T) {
	t.Parallel()
	var ran []string
	open := func(config string) (Runner, int) {
		if config == "bad.yaml" {
			return Runner{}, 2
		}
		return Runner{
			List:   func(_ context.Context, c Command) error { ran = append(ran, "list "+c.Config); return nil },
			Replay: func(_ context.Context, c Command) error { return errors.New("replay failed") },
		}, 0
	}
	var stderr bytes.Buffer
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"list"}, 0},
		{[]string{"list", "--config", "bad.yaml"}, 2},
		{[]string{"list", "--format", "xml"}, 2},
		{[]string{"replay", "--all"}, 1},
	} {
		if code := spec.Main(context.Background(), tc.args, "p.yaml", &stderr, open); code != tc.code {
			t.Errorf("%q: exit %d, want %d", tc.args, code, tc.code)
		}
	}
	if strings.Join(ran, ",") != "list p.yaml" || !strings.HasSuffix(stderr.String(), "sfsync-test dlq replay: replay failed\n") {
		t.Errorf("ran %q, stderr %q", ran, stderr.String())
	}
}
