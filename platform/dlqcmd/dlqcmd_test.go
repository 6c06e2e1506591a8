package dlqcmd

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

var spec = Spec{Program: "sfsync-test", ConfigHelp: "the configuration file", ConfigRequired: true, DryRunHelp: "change nothing"}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		scenario string
		args     []string
		config   string
		want     Command
		status   int
		message  string
	}{
		{scenario: "list defaults", args: []string{"list"}, config: "p.yaml", want: Command{Name: "list", Config: "p.yaml", Limit: 100, Format: "table"}},
		{scenario: "list flags", args: []string{"list", "--config", "q.yaml", "--limit", "0", "--format", "json"},
			want: Command{Name: "list", Config: "q.yaml", Format: "json"}},
		{scenario: "replay all", args: []string{"replay", "--all", "--dry-run"}, config: "p.yaml", want: Command{Name: "replay", Config: "p.yaml", All: true, DryRun: true}},
		{scenario: "replay origins", args: []string{"replay", "--origin-offset", "t:0:1", "--origin-offset", "t:0:2"}, config: "p.yaml",
			want: Command{Name: "replay", Config: "p.yaml", Origins: []string{"t:0:1", "t:0:2"}}},
		{scenario: "help", args: []string{"list", "-h"}, status: 0, message: "-limit"},
		{scenario: "no command", args: nil, status: 2, message: "usage: sfsync-test dlq list|replay"},
		{scenario: "unknown command", args: []string{"purge"}, status: 2, message: "usage:"},
		{scenario: "no config", args: []string{"list"}, status: 2, message: "--config is required"},
		{scenario: "bad format", args: []string{"list", "--format", "xml"}, config: "p.yaml", status: 2, message: "--format must be table or json"},
		{scenario: "negative limit", args: []string{"list", "--limit", "-1"}, config: "p.yaml", status: 2, message: "--limit must be >= 0"},
		{scenario: "neither", args: []string{"replay"}, config: "p.yaml", status: 2, message: "give --all or --origin-offset"},
		{scenario: "both", args: []string{"replay", "--all", "--origin-offset", "t:0:1"}, config: "p.yaml", status: 2, message: "(not both)"},
		{scenario: "extra argument", args: []string{"list", "more"}, config: "p.yaml", status: 2, message: `unexpected argument "more"`},
		{scenario: "unknown flag", args: []string{"list", "--all"}, config: "p.yaml", status: 2, message: "flag provided but not defined"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			got, status, ok := spec.Parse(tc.args, tc.config, &stderr)
			if ok != (tc.want.Name != "") || status != tc.status {
				t.Fatalf("ok %t status %d, want ok %t status %d; stderr:\n%s", ok, status, tc.want.Name != "", tc.status, &stderr)
			}
			if ok && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if !strings.Contains(stderr.String(), tc.message) {
				t.Errorf("stderr lacks %q:\n%s", tc.message, &stderr)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	want := "  sfsync-test dlq list --config FILE [--limit N] [--format table|json]\n" +
		"  sfsync-test dlq replay --config FILE [--dry-run] (--origin-offset TOPIC:PARTITION:OFFSET ... | --all)\n"
	if got := spec.Usage("  "); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	optional := Spec{Program: "p"}
	if got := optional.Usage(""); !strings.HasPrefix(got, "p dlq list [--config FILE] [--limit N]") {
		t.Errorf("got %q", got)
	}
}
