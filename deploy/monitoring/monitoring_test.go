package monitoring

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const (
	dashboardFile = "grafana/sfsync.json"
	rulesFile     = "prometheus/sfsync-alerts.yaml"
	rulesTestFile = "prometheus/sfsync-alerts.test.yaml"
	// chartRulesFile is the chart's copy of rulesFile (a symbolic link),
	// which its PrometheusRule template reads.
	chartRulesFile = "../helm/sfsync/files/sfsync-alerts.yaml"
	repoRoot       = "../.."
	// runbookBase is the runbook_url prefix the rules use; the rest is
	// a file in docs/runbooks.
	runbookBase = "https://github.com/sfsync/sfsync/blob/main/docs/runbooks/"
)

// services are the modules whose metrics the files may name, each with
// the prefix its metric names carry.
var services = map[string]string{
	"producer":   "sfsync_producer_",
	"consumer":   "sfsync_consumer_",
	"reconciler": "sfsync_reconciler_",
}

// metric is a metric the services declare: its name and its options
// type (CounterOpts, GaugeOpts, HistogramOpts, SummaryOpts).
type metric struct {
	name, opts, pos string
}

// declared returns the metrics declared in the services' code (test
// files excluded), by name: every prometheus.*Opts literal with a Name,
// and every collector platform/metric makes.
// Names must be whole string literals, so that this finds them all.
func declared(t *testing.T) map[string]metric {
	t.Helper()
	out := map[string]metric{}
	for dir, prefix := range services {
		n := 0
		root := filepath.Join(repoRoot, dir)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(node ast.Node) bool {
				if call, ok := node.(*ast.CallExpr); ok {
					if name, opts, ok := madeByMetric(call); ok {
						pos := fset.Position(call.Pos()).String()
						if name == "" {
							t.Errorf("%s: a metric name that is not a string literal", pos)
							return true
						}
						if !strings.HasPrefix(name, prefix) {
							t.Errorf("%s: metric %s in %s lacks the prefix %s", pos, name, dir, prefix)
						}
						if prev, dup := out[name]; dup {
							t.Errorf("%s: metric %s declared again (first at %s)", pos, name, prev.pos)
						}
						out[name] = metric{name: name, opts: opts, pos: pos}
						n++
					}
					return true
				}
				lit, ok := node.(*ast.CompositeLit)
				if !ok {
					return true
				}
				sel, ok := lit.Type.(*ast.SelectorExpr)
				if !ok || !strings.HasSuffix(sel.Sel.Name, "Opts") {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "prometheus" {
					return true
				}
				pos := fset.Position(lit.Pos()).String()
				for _, elt := range lit.Elts {
					kv, ok := elt.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					key, _ := kv.Key.(*ast.Ident)
					switch {
					case key == nil:
					case key.Name == "Namespace" || key.Name == "Subsystem":
						t.Errorf("%s: %s: spell the whole name in Name, so that this test finds it", pos, key.Name)
					case key.Name == "Name":
						bl, ok := kv.Value.(*ast.BasicLit)
						if !ok || bl.Kind != token.STRING {
							t.Errorf("%s: a metric Name that is not a string literal", pos)
							continue
						}
						name, _ := strconv.Unquote(bl.Value)
						if !strings.HasPrefix(name, prefix) {
							t.Errorf("%s: metric %s in %s lacks the prefix %s", pos, name, dir, prefix)
						}
						if prev, dup := out[name]; dup {
							t.Errorf("%s: metric %s declared again (first at %s)", pos, name, prev.pos)
						}
						out[name] = metric{name: name, opts: sel.Sel.Name, pos: pos}
						n++
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("no metric declared in %s: is the search broken?", dir)
		}
	}
	return out
}

// metricOpts are platform/metric's constructors, by the options type
// each makes its collector with.
var metricOpts = map[string]string{
	"Counter": "CounterOpts", "CounterVec": "CounterOpts",
	"Gauge": "GaugeOpts", "GaugeVec": "GaugeOpts",
	"Histogram": "HistogramOpts", "HistogramVec": "HistogramOpts",
}

// madeByMetric reports whether call makes a collector with
// platform/metric (metric.CounterVec("sfsync_…", …) and the like), and
// then its name ("" when it is not a string literal) and its options
// type.
func madeByMetric(call *ast.CallExpr) (name, opts string, ok bool) {
	sel, isSel := call.Fun.(*ast.SelectorExpr)
	if !isSel || len(call.Args) == 0 {
		return "", "", false
	}
	if x, isIdent := sel.X.(*ast.Ident); !isIdent || x.Name != "metric" {
		return "", "", false
	}
	if opts, ok = metricOpts[sel.Sel.Name]; !ok {
		return "", "", false
	}
	bl, isLit := call.Args[0].(*ast.BasicLit)
	if !isLit || bl.Kind != token.STRING {
		return "", opts, true // not a literal: the caller says so
	}
	name, _ = strconv.Unquote(bl.Value)
	return name, opts, true
}

var (
	// quoted matches PromQL string literals, whose content is not a
	// metric name (label values, label_replace arguments).
	quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	// sfsyncName matches an sfsync metric name in an expression.
	sfsyncName = regexp.MustCompile(`\bsfsync_[a-zA-Z0-9_:]*`)
)

// unknownMetrics returns the sfsync_ names expr uses that are not
// declared: a histogram's series are its name with _bucket, _sum and
// _count, a summary's with _sum and _count.
func unknownMetrics(expr string, known map[string]metric) []string {
	var bad []string
	for _, name := range sfsyncName.FindAllString(quoted.ReplaceAllString(expr, `""`), -1) {
		if _, ok := known[name]; ok {
			continue
		}
		found := false
		for suffix, kinds := range map[string][]string{
			"_bucket": {"HistogramOpts"},
			"_sum":    {"HistogramOpts", "SummaryOpts"},
			"_count":  {"HistogramOpts", "SummaryOpts"},
		} {
			if m, ok := known[strings.TrimSuffix(name, suffix)]; ok && strings.HasSuffix(name, suffix) && slices.Contains(kinds, m.opts) {
				found = true
			}
		}
		if !found {
			bad = append(bad, name)
		}
	}
	return bad
}

func TestUnknownMetrics(t *testing.T) {
	t.Parallel()
	known := map[string]metric{
		"sfsync_consumer_lag_records":       {opts: "GaugeOpts"},
		"sfsync_consumer_freshness_seconds": {opts: "HistogramOpts"},
	}
	for _, c := range []struct {
		scenario, expr string
		want           []string
	}{
		{"declared gauge", `sum by (topic) (sfsync_consumer_lag_records{topic="a"})`, nil},
		{"histogram series", `histogram_quantile(0.99, rate(sfsync_consumer_freshness_seconds_bucket[5m])) / sfsync_consumer_freshness_seconds_count`, nil},
		{"misspelled", `sum(sfsync_consumer_lag_record)`, []string{"sfsync_consumer_lag_record"}},
		{"bucket of a gauge", `sfsync_consumer_lag_records_bucket`, []string{"sfsync_consumer_lag_records_bucket"}},
		{"the old name", `sfsync_consumer_lag > 0`, []string{"sfsync_consumer_lag"}},
		{"inside a label value", `up{job="sfsync_not_a_metric"}`, nil},
	} {
		if got := unknownMetrics(c.expr, known); !slices.Equal(got, c.want) {
			t.Errorf("%s: unknown %q, want %q", c.scenario, got, c.want)
		}
	}
}

// rules is a Prometheus rules file.
type rules struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Alert       string            `json:"alert"`
			Record      string            `json:"record"`
			Expr        string            `json:"expr"`
			For         string            `json:"for"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

// rulesTests is a promtool unit test file.
type rulesTests struct {
	RuleFiles          []string `json:"rule_files"`
	EvaluationInterval string   `json:"evaluation_interval"`
	Tests              []struct {
		Name        string `json:"name"`
		Interval    string `json:"interval"`
		InputSeries []struct {
			Series string `json:"series"`
			Values string `json:"values"`
		} `json:"input_series"`
		AlertRuleTest []struct {
			EvalTime  string `json:"eval_time"`
			Alertname string `json:"alertname"`
			ExpAlerts []struct {
				ExpLabels      map[string]string `json:"exp_labels"`
				ExpAnnotations map[string]string `json:"exp_annotations"`
			} `json:"exp_alerts"`
		} `json:"alert_rule_test"`
	} `json:"tests"`
}

func readStrict(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// dashboard is the part of a Grafana dashboard the checks read.
type dashboard struct {
	Title      string `json:"title"`
	UID        string `json:"uid"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type panel struct {
	Title      string          `json:"title"`
	Type       string          `json:"type"`
	Datasource json.RawMessage `json:"datasource"`
	Targets    []struct {
		Datasource json.RawMessage `json:"datasource"`
		Expr       string          `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's
}

// TestMetricsExist checks that every sfsync_ metric the dashboard, the
// rules and the rules' unit tests name is declared by a service.
func TestMetricsExist(t *testing.T) {
	t.Parallel()
	known := declared(t)
	exprs := map[string][]string{} // where -> expressions
	var r rules
	readStrict(t, rulesFile, &r)
	for _, g := range r.Groups {
		for _, rule := range g.Rules {
			exprs[rulesFile+" "+rule.Alert+rule.Record] = append(exprs[rulesFile+" "+rule.Alert+rule.Record], rule.Expr)
		}
	}
	var rt rulesTests
	readStrict(t, rulesTestFile, &rt)
	for _, test := range rt.Tests {
		for _, s := range test.InputSeries {
			exprs[rulesTestFile+" "+test.Name] = append(exprs[rulesTestFile+" "+test.Name], s.Series)
		}
	}
	var d dashboard
	readJSON(t, &d)
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, target := range p.Targets {
				exprs[dashboardFile+" "+p.Title] = append(exprs[dashboardFile+" "+p.Title], target.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		exprs[dashboardFile+" variable "+v.Name] = append(exprs[dashboardFile+" variable "+v.Name], fmt.Sprint(v.Query))
	}
	used := 0
	for where, list := range exprs {
		for _, e := range list {
			used += len(sfsyncName.FindAllString(e, -1))
			for _, name := range unknownMetrics(e, known) {
				t.Errorf("%s: %s is no metric a service declares", where, name)
			}
		}
	}
	if used == 0 {
		t.Fatal("no sfsync_ metric found in the files: is the search broken?")
	}
}

func readJSON(t *testing.T, into any) {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(into); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
}

// TestDashboard checks the dashboard is ready for provisioning: it
// parses, has a Prometheus data source variable that every panel and
// target uses (no data source uid of one Grafana), and every panel but a
// row has a query.
func TestDashboard(t *testing.T) {
	t.Parallel()
	var d dashboard
	readJSON(t, &d)
	if d.Title == "" || d.UID == "" {
		t.Errorf("title %q, uid %q: want both", d.Title, d.UID)
	}
	hasVar := slices.ContainsFunc(d.Templating.List, func(v struct {
		Name  string `json:"name"`
		Type  string `json:"type"`
		Query any    `json:"query"`
	}) bool {
		return v.Name == "datasource" && v.Type == "datasource" && v.Query == "prometheus"
	})
	if !hasVar {
		t.Error("no templating variable datasource of type datasource (prometheus)")
	}
	checkDS := func(where string, raw json.RawMessage) {
		var ds struct {
			Type string `json:"type"`
			UID  string `json:"uid"`
		}
		if err := json.Unmarshal(raw, &ds); err != nil || ds.Type != "prometheus" || ds.UID != "${datasource}" {
			t.Errorf("%s: datasource %s, want {type prometheus, uid ${datasource}}", where, raw)
		}
	}
	panels := 0
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			panels++
			checkDS("panel "+p.Title, p.Datasource)
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no target", p.Title)
			}
			for i, target := range p.Targets {
				checkDS(fmt.Sprintf("panel %s target %d", p.Title, i), target.Datasource)
				if strings.TrimSpace(target.Expr) == "" {
					t.Errorf("panel %q target %d has no expr", p.Title, i)
				}
			}
		}
	}
	walk(d.Panels)
	if panels == 0 {
		t.Error("no panels")
	}
}

// TestRules checks every alert: a severity label, summary, description
// and a runbook_url into docs/runbooks naming a file that exists, and at
// least one promtool unit test that expects it to fire. It also checks
// the chart's copy of the rules is the same file.
func TestRules(t *testing.T) {
	t.Parallel()
	var r rules
	readStrict(t, rulesFile, &r)
	var rt rulesTests
	readStrict(t, rulesTestFile, &rt)
	fires := map[string]bool{}
	for _, test := range rt.Tests {
		for _, a := range test.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			}
		}
	}
	alerts := 0
	for _, g := range r.Groups {
		for _, rule := range g.Rules {
			if rule.Alert == "" {
				continue
			}
			alerts++
			if s := rule.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q, want critical or warning", rule.Alert, s)
			}
			for _, a := range []string{"summary", "description", "runbook_url"} {
				if rule.Annotations[a] == "" {
					t.Errorf("%s: no %s annotation", rule.Alert, a)
				}
			}
			if u := rule.Annotations["runbook_url"]; u != "" {
				file, ok := strings.CutPrefix(u, runbookBase)
				if !ok {
					t.Errorf("%s: runbook_url %s does not start with %s", rule.Alert, u, runbookBase)
				} else if _, err := os.Stat(filepath.Join(repoRoot, "docs", "runbooks", file)); err != nil {
					t.Errorf("%s: runbook %s: %v", rule.Alert, u, err)
				}
			}
			if !fires[rule.Alert] {
				t.Errorf("%s: no unit test in %s expects it to fire", rule.Alert, rulesTestFile)
			}
		}
	}
	if alerts == 0 {
		t.Fatal("no alerts")
	}
	want, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(chartRulesFile); err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s is not %s (%v): make it a symbolic link to it", chartRulesFile, rulesFile, err)
	}
}
