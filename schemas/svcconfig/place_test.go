package svcconfig_test

import (
	"errors"
	"strings"
	"testing"

	yamlparser "github.com/goccy/go-yaml/parser"

	"github.com/sfsync/sfsync/schemas/svcconfig"
)

func TestParent(t *testing.T) {
	t.Parallel()
	var got []string
	for p := "a.b[1].c"; p != ""; p = svcconfig.Parent(p) {
		got = append(got, p)
	}
	if want := "a.b[1].c a.b[1] a.b a"; strings.Join(got, " ") != want {
		t.Fatalf("parents %q, want %q", got, want)
	}
}

func TestYAMLProblem(t *testing.T) {
	t.Parallel()
	_, err := yamlparser.ParseBytes([]byte("a: 1\nb: [2\n"), 0)
	if err == nil {
		t.Fatal("want a syntax error")
	}
	p := svcconfig.YAMLProblem("svc.yaml", err)
	if !strings.HasPrefix(p.Where, "svc.yaml:") || p.Path != "" || p.Message == "" || strings.Contains(p.Message, "svc.yaml") {
		t.Fatalf("problem %+v", p)
	}
	// An error that is not the YAML library's is placed at the file.
	if p := svcconfig.YAMLProblem("svc.yaml", errors.New("boom")); p.Where != "svc.yaml" || p.Message != "boom" {
		t.Fatalf("problem %+v", p)
	}
}
